// Reads a board through nginx (GET /v1/leaderboards/{game}) and shows it, refreshing every 5 s.
const form = document.getElementById('board-form');
const table = document.getElementById('board');
const statusLine = document.getElementById('status');

async function show() {
  const data = new FormData(form);
  const params = new URLSearchParams({ period: data.get('period') });
  if (data.get('region')) params.set('region', data.get('region'));
  const response = await fetch(`/v1/leaderboards/${encodeURIComponent(data.get('game'))}?${params}`);
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    statusLine.textContent = problem.detail;
    table.hidden = true;
    return;
  }
  const board = await response.json();
  const rows = board.entries.map((entry) => {
    const row = document.createElement('tr');
    for (const value of [entry.rank, entry.player, entry.score, new Date(entry.achievedAt).toLocaleString()]) {
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(cell);
    }
    return row;
  });
  table.tBodies[0].replaceChildren(...rows);
  table.hidden = false;
  statusLine.textContent = `${board.total} players · generated ${new Date(board.generatedAt).toLocaleTimeString()}`;
}

form.addEventListener('submit', (event) => { event.preventDefault(); show(); });
show();
setInterval(show, 5000);
