/**
 * The Web UI views a manager opens most, as links with their queries filled in: nothing to type,
 * no time to write out (the `SlaState` search attribute says which work is late). The sign-in page
 * lists them for a signed-in manager; docs/managers.md gives the same queries.
 */
export interface ManagerView {
  key: string;
  label: { 'zh-CN': string; en: string };
  query: string;
}

const RUNNING = "ExecutionStatus = 'Running'";

export const MANAGER_VIEWS: readonly ManagerView[] = [
  {
    key: 'late_now',
    label: { 'zh-CN': '当前超时', en: 'Late now' },
    query: `SlaState = 'overdue' AND ${RUNNING}`,
  },
  {
    key: 'due_soon',
    label: { 'zh-CN': '即将到期', en: 'Due soon' },
    query: `SlaState = 'due_soon' AND ${RUNNING}`,
  },
  {
    key: 'awaiting_review',
    label: { 'zh-CN': '待风控审核', en: 'Waiting for a risk review' },
    query: `LeadStage = 'manual_review' AND ${RUNNING}`,
  },
  {
    key: 'shared_pool',
    label: { 'zh-CN': '公共池', en: 'In the shared pool' },
    query: `LeadStage = 'follow_up' AND BrokerId IS NULL AND ${RUNNING}`,
  },
  {
    key: 'complaints_late',
    label: { 'zh-CN': '超时客诉', en: 'Complaints late' },
    query: `WorkflowType = 'complaintCase' AND SlaState = 'overdue' AND ${RUNNING}`,
  },
  {
    key: 'in_retention',
    label: { 'zh-CN': '保留期中的案件', en: 'Cases in retention' },
    query: `WorkflowType = 'leadCase' AND LeadStage IN ('closed', 'declined', 'withdrawn') AND ${RUNNING}`,
  },
  {
    key: 'on_legal_hold',
    label: { 'zh-CN': '法律保全中', en: 'On legal hold' },
    query: `LegalHold = true AND ${RUNNING}`,
  },
];

/** One broker's open cases (the broker's ID is the one thing to fill in). */
export const brokerCasesQuery = (brokerId: string): string =>
  `WorkflowType = 'leadCase' AND BrokerId = '${brokerId.replace(/'/g, '')}' AND ${RUNNING}`;

/** The Web UI's workflow list filtered by `query`. */
export function viewUrl(uiOrigin: string, namespace: string, query: string): string {
  return `${uiOrigin.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
