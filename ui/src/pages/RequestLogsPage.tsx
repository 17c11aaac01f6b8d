import { Button, Flex, Input, InputNumber, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { logsApi, type RequestLog, type RequestLogQuery } from '../api/logs';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useAsync } from '../hooks/useAsync';
import { useI18n } from '../i18n';
import { timeParams, TimeRangePicker, type TimeRange } from './logFilters';

/** Stored request and response bodies of deployments or keys that enabled the request log. */
export default function RequestLogsPage() {
  const { t } = useI18n();
  const [model, setModel] = useState('');
  const [keyId, setKeyId] = useState<number | null>(null);
  const [range, setRange] = useState<TimeRange>(null);
  const [page, setPage] = useState(1);
  const query: RequestLogQuery = { page, model: model || undefined, api_key_id: keyId ?? undefined, ...timeParams(range) };
  const key = JSON.stringify(query);
  const { data, error, loading, reload } = useAsync(() => logsApi.requests(query), [key]);

  return (
    <>
      <PageHeader title={t('requestLog.title')} extra={<Button onClick={() => void reload()}>{t('common.refresh')}</Button>} />
      <Typography.Paragraph type="secondary">{t('requestLog.hint')}</Typography.Paragraph>
      <Flex gap={8} wrap style={{ marginBottom: 12 }}>
        <Input.Search placeholder={t('common.model')} allowClear onSearch={(v) => { setPage(1); setModel(v); }} style={{ width: 200 }} />
        <InputNumber placeholder={t('requestLog.keyId')} min={1} value={keyId} onChange={(v) => { setPage(1); setKeyId(v); }} />
        <TimeRangePicker value={range} onChange={(r) => { setPage(1); setRange(r); }} />
      </Flex>
      <ErrorAlert error={error} />
      <Table<RequestLog>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={data?.items ?? []}
        pagination={{ current: page, pageSize: 50, total: data?.pagination.total ?? 0, onChange: setPage, showSizeChanger: false }}
        expandable={{
          expandedRowRender: (r) => (
            <Flex vertical gap={8}>
              <Typography.Text strong>{t('requestLog.request')}</Typography.Text>
              <Typography.Paragraph code style={{ whiteSpace: 'pre-wrap' }}>{r.request_body}</Typography.Paragraph>
              <Typography.Text strong>{t('requestLog.response')}</Typography.Text>
              <Typography.Paragraph code style={{ whiteSpace: 'pre-wrap' }}>{r.response_body}</Typography.Paragraph>
            </Flex>
          ),
        }}
        columns={[
          { title: t('audit.when'), dataIndex: 'created_at', render: (v: string) => new Date(v).toLocaleString() },
          { title: t('common.model'), dataIndex: 'model_name' },
          { title: t('requestLog.operation'), render: (_, r) => <>{r.operation} {r.stream && <Tag>stream</Tag>}</> },
          { title: t('requestLog.status'), dataIndex: 'status_code' },
          { title: t('requestLog.keyId'), dataIndex: 'api_key_id' },
          { title: t('requestLog.duration'), render: (_, r) => `${Math.round(r.duration_ms)} ms` },
          { title: t('requestLog.truncated'), render: (_, r) => (r.truncated ? <Tag color="orange">{t('common.yes')}</Tag> : null) },
        ]}
      />
    </>
  );
}
