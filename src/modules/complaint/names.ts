/** The workflow ID of one complaint: `complaint-<complaintId>`, on the `lead-cases` task queue. */
export const complaintWorkflowId = (complaintId: string): string => `complaint-${complaintId}`;
