// ScheduledController (the `ScheduledController` and `ScheduledEvent`
// globals): what a scheduled event's handler gets, with the cron pattern and
// the scheduled time. A group of its own: only a scheduled event needs it
// (scheduled.js loads it then). Uses no ops.
let makeScheduled; // (cron, scheduledTime, ctx) => ScheduledController

class ScheduledController {
  #cron; #scheduledTime; #ctx; #retry = true;
  static {
    makeScheduled = (cron, scheduledTime, ctx) => {
      const c = new ScheduledController();
      c.#cron = cron;
      c.#scheduledTime = scheduledTime;
      c.#ctx = ctx;
      return c;
    };
  }
  get type() { return 'scheduled'; }
  get cron() { return this.#cron; }
  get scheduledTime() { return this.#scheduledTime; }
  // Asks the scheduler not to retry a failed run; motu never retries.
  noRetry() { this.#retry = false; }
  // Service-worker syntax: the event's own waitUntil.
  waitUntil(promise) { this.#ctx.waitUntil(promise); }
}
webidlInterface(ScheduledController);
defineGlobal('ScheduledController', ScheduledController);
defineGlobal('ScheduledEvent', ScheduledController);

