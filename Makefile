# The two commands a newcomer needs: `make up` and `make test`. The work is in scripts/.
.PHONY: up down status chaos test deps lint fmt openapi rebuild bench datagen

up: ## install what is missing, migrate, build (release), start the stack, print the URLs; REPLICAS=2 for two copies of each
	@scripts/up.sh

down: ## stop everything `make up` started
	@scripts/down.sh

status: ## each process supervisord runs, its pid and uptime
	@supervisorctl -c var/run/supervisord.conf status

test: ## every test: unit, integration and end to end, against the machine's real services
	@scripts/test.sh

chaos: ## a two-copy fleet of its own under traffic: every process SIGKILLed, every dependency cut; prints what was lost (0) and duplicated (0)
	cargo build --workspace --all-targets --locked
	CHAOS_OUTAGE_SECONDS=$${CHAOS_OUTAGE_SECONDS:-6} cargo nextest run --workspace --no-capture -E 'test(/^chaos::/)'

deps: ## install and start what the stack and the tests need
	@scripts/deps.sh

lint: ## formatting and clippy, as before every commit
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

openapi: ## regenerate openapi/openapi.json from the code
	cargo run -q -p openapi

rebuild: ## rebuild the query side from the event log, with a progress bar
	target/release/projector rebuild

bench: ## every benchmark beside its baseline, written to bench/RESULTS.md (after make up)
	@bench/run.sh

datagen: ## drive the stack like real clients and print honest latencies, e.g. make datagen ARGS="--duration 10s --rate 200"
	cargo run --release --bin datagen -- $(ARGS)
