// The worker's workflow bundle: every workflow type the task queue serves.
export { leadCase } from '../modules/lead/workflow';
export { brokerOffboarding } from '../modules/broker/workflow';
export { complaintCase } from '../modules/complaint/workflow';
export {
  followUpDigest,
  retentionSweep,
  deadlineAudit,
  postLoanCheckIns,
  orphanedIntakeSweep,
} from '../modules/maintenance/workflow';
export { channelReview } from '../modules/channel/workflow';
export { auditAnchor, auditCheckpoint } from '../modules/audit/workflow';
