// Small DOM helpers shared by the views: building elements, showing messages and field errors.

/** An element with attributes (`class`, `text`, `on<event>`, anything else as an attribute). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/** Shows `text` in a status element (role="status" or "alert"), styled by `kind`. */
export function say(target, text, kind = 'info') {
  target.textContent = text;
  target.dataset.kind = kind;
  target.hidden = !text;
}

/**
 * Shows field errors beside the form's fields: each field's error element is the one named by the
 * field's `aria-describedby` (`<field name>-error`); `fields` maps API field names to messages.
 */
export function showFieldErrors(form, fields) {
  for (const output of form.querySelectorAll('.field-error')) {
    output.textContent = '';
    output.hidden = true;
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  let first = null;
  for (const [field, message] of Object.entries(fields)) {
    const output = form.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (!output) continue;
    output.textContent = message;
    output.hidden = false;
    const input = form.querySelector(`[aria-describedby~="${output.id}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
  }
  first?.focus();
  return first !== null;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function formatDateTime(value) {
  return value ? dateTime.format(new Date(value)) : '';
}

export function formatTime(value) {
  return time.format(value ? new Date(value) : new Date());
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A `datetime-local` input's value as RFC 3339 UTC, or undefined when empty. */
export function localToIso(value) {
  return value ? new Date(value).toISOString() : undefined;
}

/** Runs `task` every `ms` while `active()` holds and the page is visible; returns a stop function. */
export function every(ms, task, active = () => true) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (active() && document.visibilityState === 'visible') {
      try {
        await task();
      } catch {
        // The next tick tries again; the view shows what went wrong.
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * A view refreshed while it is shown: `show` loads it at once (a failure is said in `message()`) and
 * then every `ms` while `active()` holds; `hide` stops the refreshing.
 */
export function refreshedWhileShown(ms, load, message, active) {
  let stop = null;
  return {
    show() {
      if (!active()) return;
      load().catch((error) => say(message(), error.message, 'error'));
      stop ??= every(ms, load, active);
    },
    hide() {
      stop?.();
      stop = null;
    },
  };
}
