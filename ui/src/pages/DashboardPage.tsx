import { Card, Col, Empty, Progress, Row, Statistic, Table, Tag } from 'antd';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { dashboardApi, type Dashboard } from '../api/dashboard';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatPercent, uiLocale } from '../components/format';
import { PageHeader } from '../components/PageHeader';
import { useAsync } from '../hooks/useAsync';
import { useI18n } from '../i18n';

function Counts({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  const c = d.resource_counts;
  const cells: [string, number][] = [
    [t('dashboard.workers'), c.workers],
    [t('dashboard.gpus'), c.gpus],
    [t('dashboard.deployments'), c.models],
    [t('dashboard.instances'), c.model_instances],
  ];
  return (
    <Row gutter={16}>
      {cells.map(([title, value]) => (
        <Col span={6} key={title}>
          <Card>
            <Statistic title={title} value={value} />
          </Card>
        </Col>
      ))}
    </Row>
  );
}

function Utilization({ d, compact }: { d: Dashboard; compact: boolean }) {
  const { t } = useI18n();
  const cur = d.system_load.current;
  const gauges: [string, number][] = [
    ['CPU', cur.cpu],
    ['RAM', cur.ram],
    ['GPU', cur.gpu],
    ['VRAM', cur.vram],
  ];
  return (
    <Card title={t('dashboard.utilization')} style={{ height: '100%' }}>
      <Row gutter={[16, 8]}>
        {gauges.map(([label, v]) => (
          <Col key={label} span={compact ? 12 : 6} style={{ textAlign: 'center' }}>
            <Progress type="dashboard" percent={formatPercent(v)} size={88} />
            <div>{label}</div>
          </Col>
        ))}
      </Row>
    </Card>
  );
}

const LOAD_SERIES = [
  ['cpu', 'CPU', '#1668dc'],
  ['ram', 'RAM', '#52c41a'],
  ['gpu', 'GPU', '#fa8c16'],
  ['vram', 'VRAM', '#eb2f96'],
] as const;

function clockTime(ts: number | string): string {
  const date = new Date(typeof ts === 'number' ? ts * 1000 : ts);
  return date.toLocaleTimeString(uiLocale(), { hour: '2-digit', minute: '2-digit' });
}

/** Utilisation over time, one sample a minute; dots mark the samples while there are few. */
function LoadHistory({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  const history = d.system_load.history ?? [];
  const data = history.map((p) => ({ ...p, time: clockTime(p.timestamp) }));
  const fewPoints = data.length < 10;
  return (
    <Card title={t('dashboard.loadHistory')} extra={t('dashboard.loadHistoryHint', { count: data.length })} data-testid="load-history" style={{ height: '100%' }}>
      <ResponsiveContainer width="100%" height={190}>
        <AreaChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="time" minTickGap={24} fontSize={12} />
          <YAxis domain={[0, 100]} unit="%" fontSize={12} />
          <Tooltip formatter={(v: number) => `${formatPercent(v)}%`} />
          <Legend iconSize={10} />
          {LOAD_SERIES.map(([key, name, color]) => (
            <Area key={key} dataKey={key} name={name} stroke={color} fill={`${color}22`} dot={fewPoints} isAnimationActive={false} />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </Card>
  );
}

function UsageHistory({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  const data = d.model_usage.history;
  return (
    <Card title={t('dashboard.usageHistory')}>
      {data.length === 0 ? (
        <Empty description={t('dashboard.noUsage')} />
      ) : (
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" />
            <YAxis yAxisId="tokens" />
            <YAxis yAxisId="requests" orientation="right" />
            <Tooltip />
            <Legend />
            <Bar yAxisId="tokens" dataKey="prompt_tokens" stackId="t" name={t('dashboard.promptTokens')} fill="#1668dc" />
            <Bar yAxisId="tokens" dataKey="completion_tokens" stackId="t" name={t('dashboard.completionTokens')} fill="#52c41a" />
            <Bar yAxisId="requests" dataKey="requests" name={t('dashboard.requests')} fill="#fa8c16" />
          </BarChart>
        </ResponsiveContainer>
      )}
    </Card>
  );
}

function TopTables({ d }: { d: Dashboard }) {
  const { t } = useI18n();
  return (
    <Row gutter={16}>
      <Col span={12}>
        <Card title={t('dashboard.topUsers')}>
          <Table
            size="small"
            rowKey="username"
            pagination={false}
            dataSource={d.model_usage.top_users}
            columns={[
              { title: t('dashboard.user'), dataIndex: 'username' },
              { title: t('dashboard.requests'), dataIndex: 'requests' },
              { title: t('dashboard.promptTokens'), dataIndex: 'prompt_tokens' },
              { title: t('dashboard.completionTokens'), dataIndex: 'completion_tokens' },
            ]}
          />
        </Card>
      </Col>
      <Col span={12}>
        <Card title={t('dashboard.topModels')}>
          <Table
            size="small"
            rowKey="model_name"
            pagination={false}
            dataSource={d.model_usage.top_models ?? []}
            columns={[
              { title: t('common.model'), dataIndex: 'model_name' },
              { title: t('dashboard.requests'), dataIndex: 'requests' },
              { title: t('dashboard.totalTokens'), dataIndex: 'total_tokens' },
            ]}
          />
        </Card>
      </Col>
      <Col span={24} style={{ marginTop: 16 }}>
        <Card title={t('dashboard.activeModels')}>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={d.active_models}
            columns={[
              { title: t('common.name'), dataIndex: 'name' },
              { title: t('deploy.ready'), render: (_, m) => `${m.ready_replicas} / ${m.replicas}` },
              { title: t('deploy.category'), dataIndex: 'categories', render: (c: string[]) => c?.map((x) => <Tag key={x}>{x}</Tag>) },
              { title: t('dashboard.inFlight'), render: (_, m) => m.in_flight ?? 0 },
              { title: t('dashboard.queued'), render: (_, m) => m.queued ?? 0 },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}

export default function DashboardPage() {
  const { t } = useI18n();
  const { data, error } = useAsync(() => dashboardApi.get(), []);
  return (
    <>
      <PageHeader title={t('menu.dashboard')} />
      <ErrorAlert error={error} />
      {data && (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 16 }}>
          <Counts d={data} />
          <Row gutter={16}>
            <Col span={data.system_load.history?.length ? 10 : 24}>
              <Utilization d={data} compact={Boolean(data.system_load.history?.length)} />
            </Col>
            {data.system_load.history?.length ? (
              <Col span={14}>
                <LoadHistory d={data} />
              </Col>
            ) : null}
          </Row>
          <UsageHistory d={data} />
          <TopTables d={data} />
        </div>
      )}
    </>
  );
}
