import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Empty, Flex, Segmented, Table } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
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

const PALETTE = ['#1668dc', '#52c41a', '#fa8c16', '#eb2f96', '#13c2c2', '#722ed1', '#faad14', '#2f54eb'];

interface DayTokens {
  date: string;
  tokens: Record<string, number>;
}

/** One bar per day, stacked by model, user or key: the rows come one per (day, group). */
function tokensByDate(rows: UsageRow[], field: keyof UsageRow): { days: DayTokens[]; names: string[] } {
  const days = new Map<string, DayTokens>();
  const names = new Set<string>();
  rows.forEach((r) => {
    const name = String(r[field] ?? '-');
    names.add(name);
    const day = days.get(r.date) ?? { date: r.date, tokens: {} };
    day.tokens[name] = (day.tokens[name] ?? 0) + r.prompt_tokens + r.completion_tokens;
    days.set(r.date, day);
  });
  return { days: [...days.values()], names: [...names] };
}

export default function UsagePage() {
  const { t } = useI18n();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(29, 'day'), dayjs()]);
  const [group, setGroup] = useState<UsageGroup>('model');
  const start = range[0].format('YYYY-MM-DD');
  const end = range[1].format('YYYY-MM-DD');
  const { data, error, loading } = useAsync(() => dashboardApi.usage(start, end, group), [start, end, group]);
  const rows = useMemo(() => data?.items ?? [], [data]);
  const field = groupField[group];
  const chart = useMemo(() => tokensByDate(rows, field), [rows, field]);

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
        <Card size="small" title={t('usage.tokensPerDay')} style={{ marginBottom: 16 }}>
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={chart.days} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="date" fontSize={12} />
            <YAxis fontSize={12} />
            <Tooltip />
            <Legend />
            {chart.names.map((name, i) => (
              <Bar
                key={name}
                name={name}
                stackId="tokens"
                dataKey={(d: DayTokens) => d.tokens[name] ?? 0}
                fill={PALETTE[i % PALETTE.length]}
                maxBarSize={64}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
        </Card>
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
