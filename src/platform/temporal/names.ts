/** Names that the API, the worker and operators share. */
export const leadWorkflowId = (caseId: string): string => `lead-${caseId}`;
export const caseIdFromWorkflowId = (workflowId: string): string => workflowId.replace(/^lead-/, '');
export const offboardingWorkflowId = (brokerId: string): string => `broker-offboarding-${brokerId}`;
