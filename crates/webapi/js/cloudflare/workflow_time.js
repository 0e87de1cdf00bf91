// Durations and retry delays of Workflows (workflow_step.js): a duration
// is a number of milliseconds (or its text) or a text such as "10
// seconds", "1 minute" or "2.5 hours" (a month is 30 days, a year 365), as
// Cloudflare's `WorkflowDuration` has it; a step's
// retries wait `delay`, then more each time as its `backoff` says.

const WF_UNIT_MS = {
  __proto__: null,
  millisecond: 1,
  second: 1000,
  minute: 60 * 1000,
  hour: 60 * 60 * 1000,
  day: 24 * 60 * 60 * 1000,
  week: 7 * 24 * 60 * 60 * 1000,
  month: 30 * 24 * 60 * 60 * 1000,
  year: 365 * 24 * 60 * 60 * 1000,
};

// `value` as milliseconds; `what` names it in the error.
function wfDuration(value, what) {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    if (/^\s*\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/i.exec(value);
    const unit = m === null ? undefined : WF_UNIT_MS[m[2].toLowerCase()];
    if (unit !== undefined) return Number(m[1]) * unit;
  }
  throw new TypeError(`${what}: ${JSON.stringify(String(value))} is not a duration (a number of milliseconds, or a text such as "10 seconds" or "1 minute")`);
}

// The wait before attempt `attempt` + 1 (from 1: the first retry) of a
// step whose retries are `retries` ({ delay, backoff }): constant, the
// delay each time; linear, the delay times the attempt; exponential, the
// delay doubled at each attempt.
function wfRetryDelay(retries, attempt) {
  const delay = wfDuration(retries.delay, 'retries.delay');
  switch (retries.backoff) {
    case 'linear': return delay * attempt;
    case 'exponential': return delay * 2 ** (attempt - 1);
    default: return delay;
  }
}
