import { Card, Empty, Flex, List, Spin, Tag, Typography } from 'antd';
import { catalogApi, type ModelSet } from '../../api/catalog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatBytes } from '../../components/format';
import { useAsync } from '../../hooks/useAsync';
import { useI18n } from '../../i18n';

/** Lists the model catalog; picking one fills the form's source fields. */
export function CatalogPicker({ selected, onPick }: { selected: string | null; onPick: (m: ModelSet) => void }) {
  const { t } = useI18n();
  const { data, error, loading } = useAsync(() => catalogApi.list(), []);
  if (loading) return <Spin />;
  if (error) return <ErrorAlert error={error} />;
  if (!data?.length) return <Empty description={t('deploy.catalogEmpty')} />;
  return (
    <List
      grid={{ gutter: 8, column: 2 }}
      dataSource={data}
      style={{ maxHeight: 300, overflowY: 'auto', marginBottom: 12 }}
      renderItem={(m) => (
        <List.Item>
          <Card
            size="small"
            hoverable
            onClick={() => onPick(m)}
            data-testid={`catalog-item-${m.name}`}
            style={{ borderColor: selected === String(m.id) ? '#1668dc' : undefined }}
          >
            <Flex justify="space-between" gap={8}>
              <Typography.Text strong ellipsis>
                {m.name}
              </Typography.Text>
              {m.size !== null && <Typography.Text type="secondary">{typeof m.size === 'number' ? formatBytes(m.size) : m.size}</Typography.Text>}
            </Flex>
            <div>
              {m.categories.map((c) => (
                <Tag key={c}>{c}</Tag>
              ))}
              {m.backend && <Tag color="blue">{m.backend}</Tag>}
            </div>
            <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0, fontSize: 12 }}>
              {m.description}
            </Typography.Paragraph>
          </Card>
        </List.Item>
      )}
    />
  );
}
