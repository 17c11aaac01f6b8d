import { DownloadOutlined } from '@ant-design/icons';
import { Button, DatePicker, Empty, Flex, Segmented, Table } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { dashboardApi, usageCsvUrl, type UsageGroup, type UsageRow } from '../api/dashboard';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageHeader } from '../components/PageHeader';
import { useAsync } from '../hooks/useAsync';
import { useI18n } from '../i18n';

const groupField: Record<UsageGroup, keyof UsageRow> = {
  model: 'model_name',
  user: 'username',
  api_key: 'api_key_name',
};

export default function UsagePage() {
  const { t } = useI18n();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(29, 'day'), dayjs()]);
  const [group, setGroup] = useState<UsageGroup>('model');
  const start = range[0].format('YYYY-MM-DD');
  const end = range[1].format('YYYY-MM-DD');
  const { data, error, loading } = useAsync(() => dashboardApi.usage(start, end, group), [start, end, group]);
  const rows = data?.items ?? [];
  const field = groupField[group];

  return (
    <>
      <PageHeader
        title={t('menu.usage')}
        extra={
          <Button icon={<DownloadOutlined />} disabled={!rows.length} href={usageCsvUrl(start, end, group)} download>
            {t('usage.export')}
          </Button>
        }
      />
      <Flex gap={16} style={{ marginBottom: 16 }} align="center">
        <DatePicker.RangePicker
          allowClear={false}
          value={range}
          onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
        />
        <Segmented<UsageGroup>
          value={group}
          onChange={setGroup}
          options={[
            { value: 'model', label: t('usage.byModel') },
            { value: 'user', label: t('usage.byUser') },
            { value: 'api_key', label: t('usage.byKey') },
          ]}
        />
      </Flex>
      <ErrorAlert error={error} />
      {rows.length > 0 && (
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={rows}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" />
            <YAxis />
            <Tooltip />
            <Legend />
            <Bar dataKey="prompt_tokens" stackId="a" name={t('dashboard.promptTokens')} fill="#1668dc" />
            <Bar dataKey="completion_tokens" stackId="a" name={t('dashboard.completionTokens')} fill="#52c41a" />
          </BarChart>
        </ResponsiveContainer>
      )}
      <Table<UsageRow>
        rowKey={(r) => `${r.date}-${String(r[field])}`}
        loading={loading}
        dataSource={rows}
        locale={{ emptyText: <Empty description={t('usage.empty')} /> }}
        columns={[
          { title: t('usage.date'), dataIndex: 'date' },
          { title: t(group === 'model' ? 'usage.byModel' : group === 'user' ? 'usage.byUser' : 'usage.byKey'), dataIndex: field },
          { title: t('dashboard.requests'), dataIndex: 'requests' },
          { title: t('dashboard.promptTokens'), dataIndex: 'prompt_tokens' },
          { title: t('dashboard.completionTokens'), dataIndex: 'completion_tokens' },
          { title: t('usage.errors'), dataIndex: 'errors' },
        ]}
      />
    </>
  );
}
