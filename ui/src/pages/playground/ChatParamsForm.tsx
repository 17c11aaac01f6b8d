import { Form, InputNumber, Slider } from 'antd';
import type { ChatParams } from '../../api/inference';
import { useI18n } from '../../i18n';

export const defaultParams: ChatParams = { temperature: 0.7, top_p: 1, max_tokens: 512, seed: null };

/** Sampling parameters for the chat. */
export function ChatParamsForm({ value, onChange }: { value: ChatParams; onChange: (p: ChatParams) => void }) {
  const { t } = useI18n();
  return (
    <Form layout="vertical" size="small">
      <Form.Item label={`${t('play.temperature')}: ${value.temperature}`}>
        <Slider min={0} max={2} step={0.05} value={value.temperature} onChange={(v) => onChange({ ...value, temperature: v })} />
      </Form.Item>
      <Form.Item label={`${t('play.topP')}: ${value.top_p}`}>
        <Slider min={0} max={1} step={0.05} value={value.top_p} onChange={(v) => onChange({ ...value, top_p: v })} />
      </Form.Item>
      <Form.Item label={t('play.maxTokens')}>
        <InputNumber aria-label={t('play.maxTokens')} min={1} max={131072} value={value.max_tokens} onChange={(v) => onChange({ ...value, max_tokens: v ?? undefined })} />
      </Form.Item>
      <Form.Item label={t('play.seed')}>
        <InputNumber aria-label={t('play.seed')} value={value.seed ?? undefined} onChange={(v) => onChange({ ...value, seed: v ?? null })} />
      </Form.Item>
    </Form>
  );
}
