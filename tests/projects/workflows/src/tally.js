// Counts how often `key` happened for instance `id` (the Tally object named `id`).
export const bump = (env, id, key) => env.TALLY.getByName(id).bump(key);
