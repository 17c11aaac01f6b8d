import { Button, Flex, Input, Progress, Table } from 'antd';
import { useState } from 'react';
import { inferenceApi } from '../../api/inference';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { ModelSelect } from './ModelSelect';

/** Scores documents against a query and lists them best first. */
export default function RerankPanel() {
  const { t } = useI18n();
  const notify = useNotify();
  const [model, setModel] = useState<string | null>(null);
  const [query, setQuery] = useState('What is a GPU?');
  const [docs, setDocs] = useState('A GPU is a processor for parallel work.\nBananas are yellow.\nGraphics cards render images.');
  const [rows, setRows] = useState<{ index: number; text: string; score: number }[]>([]);
  const rerank = useSubmit(
    async (name: string, documents: string[]) => {
      const res = await inferenceApi.rerank(name, query, documents);
      setRows(
        [...res.results]
          .sort((a, b) => b.relevance_score - a.relevance_score)
          .map((r) => ({ index: r.index, text: documents[r.index] ?? '', score: r.relevance_score })),
      );
    },
    { onError: notify.error },
  );

  const run = async () => {
    const documents = docs.split('\n').map((s) => s.trim()).filter(Boolean);
    if (model && query.trim() && documents.length) await rerank.run(model, documents);
  };

  const max = Math.max(1e-9, ...rows.map((r) => Math.abs(r.score)));
  return (
    <Flex vertical gap={12}>
      <Flex gap={8}>
        <ModelSelect categories={['reranker']} value={model} onChange={setModel} />
        <Button type="primary" loading={rerank.busy} onClick={() => void run()} disabled={!model} data-testid="rerank-compute">
          {t('play.compute')}
        </Button>
      </Flex>
      <Input value={query} onChange={(e) => setQuery(e.target.value)} addonBefore={t('play.query')} />
      <Input.TextArea rows={5} value={docs} onChange={(e) => setDocs(e.target.value)} placeholder={t('play.documents')} />
      {rows.length > 0 && (
        <div data-testid="rerank-results">
        <Table
          size="small"
          rowKey="index"
          pagination={false}
          dataSource={rows}
          columns={[
            { title: '#', dataIndex: 'index', width: 60 },
            { title: t('play.document'), dataIndex: 'text' },
            {
              title: t('play.score'),
              dataIndex: 'score',
              width: 240,
              render: (s: number) => <Progress percent={Math.round((Math.abs(s) / max) * 100)} format={() => s.toFixed(4)} size="small" />,
            },
          ]}
        />
        </div>
      )}
    </Flex>
  );
}
