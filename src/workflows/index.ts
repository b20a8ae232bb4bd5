// The worker's workflow bundle: every workflow type the task queue serves.
export { leadCase } from './lead-case';
export { brokerOffboarding } from './broker-offboarding';
export { complaintCase } from './complaint-case';
export { followUpDigest, retentionSweep, deadlineAudit, postLoanCheckIns, orphanedIntakeSweep } from './maintenance';
export { channelReview } from './channel-review';
export { auditAnchor, auditCheckpoint } from './audit-anchor';
