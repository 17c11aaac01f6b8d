import { UploadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, Typography, Upload } from 'antd';
import { useEffect, useState } from 'react';
import { inferenceApi } from '../../api/inference';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { ModelSelect } from './ModelSelect';

function TextToSpeech() {
  const { t } = useI18n();
  const notify = useNotify();
  const [model, setModel] = useState<string | null>(null);
  const [text, setText] = useState('Hello from GPUStack.');
  const [voice, setVoice] = useState('default');
  const [audio, setAudio] = useState<string | null>(null);
  useEffect(() => {
    return () => {
      if (audio) URL.revokeObjectURL(audio);
    };
  }, [audio]);

  const synthesize = useSubmit(
    async (name: string) => setAudio(URL.createObjectURL(await inferenceApi.speech(name, text, voice))),
    { onError: notify.error },
  );

  const speak = async () => {
    if (model && text.trim()) await synthesize.run(model);
  };

  return (
    <Card title={t('play.tts')} size="small" style={{ flex: 1 }}>
      <Flex vertical gap={8}>
        <ModelSelect categories={['text_to_speech']} value={model} onChange={setModel} />
        <Input value={voice} onChange={(e) => setVoice(e.target.value)} addonBefore={t('play.voice')} />
        <Input.TextArea rows={3} value={text} onChange={(e) => setText(e.target.value)} />
        <Button type="primary" loading={synthesize.busy} disabled={!model} onClick={() => void speak()}>
          {t('play.speak')}
        </Button>
        {audio && <audio controls autoPlay src={audio} />}
      </Flex>
    </Card>
  );
}

function SpeechToText() {
  const { t } = useI18n();
  const notify = useNotify();
  const [model, setModel] = useState<string | null>(null);
  const [transcript, setTranscript] = useState('');
  const recognize = useSubmit(
    async (name: string, file: File) => setTranscript((await inferenceApi.transcribe(name, file)).text),
    { onError: notify.error },
  );

  const transcribe = async (file: File) => {
    if (model) await recognize.run(model, file);
  };

  return (
    <Card title={t('play.stt')} size="small" style={{ flex: 1 }}>
      <Flex vertical gap={8}>
        <ModelSelect categories={['speech_to_text']} value={model} onChange={setModel} />
        <Upload
          accept="audio/*"
          showUploadList={false}
          disabled={!model}
          beforeUpload={(file) => {
            void transcribe(file);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />} loading={recognize.busy} disabled={!model}>
            {t('play.uploadAudio')}
          </Button>
        </Upload>
        <Typography.Text strong>{t('play.transcript')}</Typography.Text>
        <Typography.Paragraph copyable={Boolean(transcript)}>{transcript}</Typography.Paragraph>
      </Flex>
    </Card>
  );
}

export default function SpeechPanel() {
  return (
    <Flex gap={16} wrap>
      <TextToSpeech />
      <SpeechToText />
    </Flex>
  );
}
