/** Go time formats for JetStream JSON: shared with the rest of the server (util/time.ts). */
export * from '../util/time.js';
