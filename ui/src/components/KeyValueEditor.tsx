import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Flex, Input } from 'antd';
import { useI18n } from '../i18n';

export type Pairs = [string, string][];

export const toPairs = (obj: Record<string, string> | null | undefined): Pairs =>
  Object.entries(obj ?? {});

export const fromPairs = (pairs: Pairs | undefined): Record<string, string> =>
  Object.fromEntries((pairs ?? []).filter(([k]) => k.trim() !== ''));

/** Edits a string map (labels, env) as rows of key/value inputs; used as an antd form control. */
export function KeyValueEditor({ value = [], onChange }: { value?: Pairs; onChange?: (v: Pairs) => void }) {
  const { t } = useI18n();
  const set = (i: number, col: 0 | 1, text: string) =>
    onChange?.(value.map((row, j) => (j === i ? (col === 0 ? [text, row[1]] : [row[0], text]) : row)));
  return (
    <Flex vertical gap={6}>
      {value.map(([k, v], i) => (
        <Flex gap={6} key={i}>
          <Input placeholder={t('common.key')} value={k} onChange={(e) => set(i, 0, e.target.value)} />
          <Input placeholder={t('common.value')} value={v} onChange={(e) => set(i, 1, e.target.value)} />
          <Button icon={<DeleteOutlined />} onClick={() => onChange?.(value.filter((_, j) => j !== i))} />
        </Flex>
      ))}
      <Button icon={<PlusOutlined />} onClick={() => onChange?.([...value, ['', '']])}>
        {t('common.add')}
      </Button>
    </Flex>
  );
}
