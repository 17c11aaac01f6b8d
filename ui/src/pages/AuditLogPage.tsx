import { Button, Flex, Input, InputNumber, Select, Table, Typography } from 'antd';
import { useState } from 'react';
import { logsApi, type AuditLog, type AuditLogQuery } from '../api/logs';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useAsync } from '../hooks/useAsync';
import { useI18n } from '../i18n';
import { timeParams, TimeRangePicker, type TimeRange } from './logFilters';

const KINDS = ['users', 'api-keys', 'models', 'model-instances', 'model-files', 'workers'];

/** Who changed what, when and from where (administrators only). */
export default function AuditLogPage() {
  const { t } = useI18n();
  const [actor, setActor] = useState('');
  const [kind, setKind] = useState<string | undefined>();
  const [resourceId, setResourceId] = useState<number | null>(null);
  const [range, setRange] = useState<TimeRange>(null);
  const [page, setPage] = useState(1);
  const query: AuditLogQuery = {
    page,
    actor: actor || undefined,
    resource_kind: kind,
    resource_id: resourceId ?? undefined,
    ...timeParams(range),
  };
  const key = JSON.stringify(query);
  const { data, error, loading, reload } = useAsync(() => logsApi.audit(query), [key]);

  return (
    <>
      <PageHeader title={t('audit.title')} extra={<Button onClick={() => void reload()}>{t('common.refresh')}</Button>} />
      <Flex gap={8} wrap style={{ marginBottom: 12 }}>
        <Input.Search placeholder={t('audit.actor')} allowClear onSearch={(v) => { setPage(1); setActor(v); }} style={{ width: 200 }} data-testid="audit-actor" />
        <Select placeholder={t('audit.kind')} allowClear value={kind} onChange={(v) => { setPage(1); setKind(v); }} style={{ width: 180 }} options={KINDS.map((k) => ({ value: k, label: k }))} data-testid="audit-kind" />
        <InputNumber placeholder={t('audit.resourceId')} min={1} value={resourceId} onChange={(v) => { setPage(1); setResourceId(v); }} />
        <TimeRangePicker value={range} onChange={(r) => { setPage(1); setRange(r); }} />
      </Flex>
      <ErrorAlert error={error} />
      <Table<AuditLog>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={data?.items ?? []}
        data-testid="audit-table"
        pagination={{ current: page, pageSize: 50, total: data?.pagination.total ?? 0, onChange: setPage, showSizeChanger: false }}
        expandable={{
          rowExpandable: (r) => Object.keys(r.changes).length > 0,
          expandedRowRender: (r) => <Typography.Paragraph code style={{ whiteSpace: 'pre-wrap' }}>{JSON.stringify(r.changes, null, 2)}</Typography.Paragraph>,
        }}
        columns={[
          { title: t('audit.when'), dataIndex: 'created_at', render: (v: string) => new Date(v).toLocaleString() },
          { title: t('audit.actor'), render: (_, r) => (r.api_key_name ? `${r.actor_name} (${t('common.key')}: ${r.api_key_name})` : r.actor_name) },
          { title: t('audit.action'), render: (_, r) => `${r.action} ${r.resource_kind}${r.resource_id ? ` #${r.resource_id}` : ''}` },
          { title: t('audit.request'), render: (_, r) => <Typography.Text code>{`${r.method} ${r.path}`}</Typography.Text> },
          { title: t('audit.address'), dataIndex: 'client_ip' },
        ]}
      />
    </>
  );
}
