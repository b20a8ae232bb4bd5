import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerCasesQuery, MANAGER_VIEWS, viewUrl } from '../../src/platform/temporal/manager-views';
import { signInPage } from '../../src/platform/temporal/sign-in-page';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/platform/temporal/search-attributes';

const managersDoc = readFileSync(join(__dirname, '../../docs/managers.md'), 'utf8');

test('every ready view is in docs/managers.md with the same query, and names only known search attributes', () => {
  const known = new Set([...ALL_SEARCH_ATTRIBUTES.map((k) => k.name), 'ExecutionStatus', 'WorkflowType']);
  for (const view of [...MANAGER_VIEWS.map((v) => v.query), brokerCasesQuery('b-east-1')]) {
    expect(managersDoc).toContain(`\`${view}\``);
    for (const [, name] of view.matchAll(/([A-Za-z]+) (?:=|IN|IS|!=)/g)) expect(known).toContain(name);
  }
});

test('a view link opens the Web UI list with its query encoded; a broker ID cannot break out of its quotes', () => {
  expect(viewUrl('http://localhost:8233/', 'default', "SlaState = 'overdue'")).toBe(
    "http://localhost:8233/namespaces/default/workflows?query=SlaState%20%3D%20'overdue'",
  );
  expect(brokerCasesQuery("b' OR 1=1")).toContain("BrokerId = 'b OR 1=1'");
});

test('the sign-in page lists the views, in Chinese, only for someone signed in', () => {
  const links = { uiOrigin: 'http://localhost:8233', namespace: 'default' };
  const signedIn = signInPage({ locale: 'zh-CN', next: '/', signedIn: { sub: 'm1', role: 'manager' }, links });
  expect(signedIn).toContain('常用视图');
  for (const view of MANAGER_VIEWS) {
    expect(signedIn).toContain(view.label['zh-CN']);
    expect(signedIn).toContain(viewUrl(links.uiOrigin, links.namespace, view.query).replace(/'/g, '&#39;'));
  }
  expect(signInPage({ locale: 'zh-CN', next: '/', links })).not.toContain('常用视图');
  expect(signInPage({ locale: 'en', next: '/', signedIn: { sub: 'm1', role: 'manager' }, links })).toContain(
    'Ready views',
  );
});
