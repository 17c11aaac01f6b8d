import { Button, Flex, Input, Table } from 'antd';
import { useState } from 'react';
import { inferenceApi } from '../../api/inference';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { ModelSelect } from './ModelSelect';

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

function heat(v: number): string {
  const alpha = Math.max(0, Math.min(1, v));
  return `rgba(22, 104, 220, ${alpha * 0.6})`;
}

/** Embeds several texts and shows their pairwise cosine similarity. */
export default function EmbeddingsPanel() {
  const { t } = useI18n();
  const notify = useNotify();
  const [model, setModel] = useState<string | null>(null);
  const [text, setText] = useState('The cat sits on the mat.\nA kitten rests on a rug.\nStock prices fell today.');
  const [matrix, setMatrix] = useState<{ texts: string[]; sims: number[][] } | null>(null);
  const embed = useSubmit(
    async (name: string, texts: string[]) => {
      const res = await inferenceApi.embeddings(name, texts);
      const vecs = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      setMatrix({ texts, sims: vecs.map((a) => vecs.map((b) => cosine(a, b))) });
    },
    { onError: notify.error },
  );

  const compute = async () => {
    const texts = text.split('\n').map((s) => s.trim()).filter(Boolean);
    if (model && texts.length) await embed.run(model, texts);
  };

  return (
    <Flex vertical gap={12}>
      <Flex gap={8}>
        <ModelSelect categories={['embedding']} value={model} onChange={setModel} />
        <Button type="primary" loading={embed.busy} onClick={() => void compute()} disabled={!model} data-testid="embeddings-compute">
          {t('play.compute')}
        </Button>
      </Flex>
      <Input.TextArea rows={5} value={text} onChange={(e) => setText(e.target.value)} placeholder={t('play.texts')} />
      {matrix && (
        <div data-testid="similarity-matrix">
        <Table
          size="small"
          pagination={false}
          title={() => t('play.similarity')}
          rowKey="i"
          dataSource={matrix.texts.map((txt, i) => ({ i, txt }))}
          columns={[
            { title: '', dataIndex: 'txt', ellipsis: true, width: 220 },
            ...matrix.texts.map((_, j) => ({
              title: `#${j + 1}`,
              render: (_: unknown, row: { i: number }) => {
                const v = matrix.sims[row.i]?.[j] ?? 0;
                return <div style={{ background: heat(v), padding: '2px 6px' }} data-testid="similarity-cell">{v.toFixed(3)}</div>;
              },
            })),
          ]}
        />
        </div>
      )}
    </Flex>
  );
}
