// The built-in module `cloudflare:workflows`: `NonRetryableError`, which a
// Workflow step throws to fail at once, without its remaining retries (the
// engine, the prelude's cloudflare/workflow_step.js, knows it by its name).
export class NonRetryableError extends Error {
  constructor(message, name = 'NonRetryableError') {
    super(message);
    this.name = name;
  }
}

export default { NonRetryableError };
