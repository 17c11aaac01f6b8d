import { Button, Flex, Image, Input, InputNumber, Select } from 'antd';
import { useState } from 'react';
import { inferenceApi } from '../../api/inference';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { ModelSelect } from './ModelSelect';

/** Text to image through /v1/images/generations (base64 results). */
export default function ImagesPanel() {
  const { t } = useI18n();
  const notify = useNotify();
  const [model, setModel] = useState<string | null>(null);
  const [prompt, setPrompt] = useState('a watercolor fox in the snow');
  const [size, setSize] = useState('512x512');
  const [n, setN] = useState(1);
  const [images, setImages] = useState<string[]>([]);
  const generate = useSubmit(
    async (name: string) => {
      const res = await inferenceApi.images(name, prompt, size, n);
      setImages(res.data.map((d) => (d.b64_json ? `data:image/png;base64,${d.b64_json}` : (d.url ?? ''))));
    },
    { onError: notify.error },
  );

  const run = async () => {
    if (model && prompt.trim()) await generate.run(model);
  };

  return (
    <Flex vertical gap={12}>
      <Flex gap={8} wrap>
        <ModelSelect categories={['image']} value={model} onChange={setModel} />
        <Select value={size} onChange={setSize} options={['256x256', '512x512', '768x768', '1024x1024'].map((s) => ({ value: s, label: s }))} />
        <InputNumber min={1} max={4} value={n} onChange={(v) => setN(v ?? 1)} addonBefore={t('play.count')} />
      </Flex>
      <Input.TextArea rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder={t('play.prompt')} />
      <Button type="primary" loading={generate.busy} onClick={() => void run()} disabled={!model} style={{ alignSelf: 'flex-start' }}>
        {t('play.generate')}
      </Button>
      <Flex gap={8} wrap>
        {images.map((src, i) => (
          <Image key={i} src={src} width={256} />
        ))}
      </Flex>
    </Flex>
  );
}
