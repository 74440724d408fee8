export { withoutSession, indexViews, takeSlots, type ViewIndex } from "./views.js";
export { waitingOrder, type WaitingRequest } from "./waiting.js";
export { queuePass, QUEUE_PASS_DEFAULTS, type PassOutcome, type QueuePassOptions } from "./queue-pass.js";
export { attachDrafters, type AloneSession, type Attachment } from "./drafter-attach.js";
export { PairStats, type LinkReport } from "./pair-stats.js";
