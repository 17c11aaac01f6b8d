import { CodeOutlined, PictureOutlined, SendOutlined, StopOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Flex, Input, Modal, Tabs, Tag, Upload, Typography } from 'antd';
import { useRef, useState } from 'react';
import { inferenceApi, type ChatMessage, type ChatParams, type ChatUsage } from '../../api/inference';
import { CodeBlock } from '../../components/CodeBlock';
import { useI18n } from '../../i18n';
import { chatCode } from './chatCode';
import { ChatMessages } from './ChatMessages';
import { ChatParamsForm, defaultParams } from './ChatParamsForm';
import { ModelSelect } from './ModelSelect';

function readDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}

/** Streaming chat against /v1/chat/completions with system prompt, parameters and images. */
export default function ChatPanel() {
  const { t } = useI18n();
  const [model, setModel] = useState<string | null>(null);
  const [system, setSystem] = useState('');
  const [params, setParams] = useState<ChatParams>(defaultParams);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [input, setInput] = useState('');
  const [images, setImages] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [usage, setUsage] = useState<ChatUsage | null>(null);
  const [showCode, setShowCode] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const streaming = abort.current !== null;
  const [, rerender] = useState(0);

  const conversation = (history: ChatMessage[]): ChatMessage[] =>
    system.trim() ? [{ role: 'system', content: system.trim() }, ...history] : history;

  const send = async () => {
    if (!model || (!input.trim() && images.length === 0) || streaming) return;
    const content: ChatMessage['content'] = images.length
      ? [{ type: 'text', text: input }, ...images.map((url) => ({ type: 'image_url' as const, image_url: { url } }))]
      : input;
    const history: ChatMessage[] = [...messages, { role: 'user', content }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setInput('');
    setImages([]);
    setError(null);
    setUsage(null);
    abort.current = new AbortController();
    rerender((n) => n + 1);
    try {
      const u = await inferenceApi.streamChat(
        model,
        conversation(history),
        params,
        (delta) =>
          setMessages((prev) => {
            const last = prev[prev.length - 1];
            return [...prev.slice(0, -1), { role: 'assistant', content: `${String(last?.content ?? '')}${delta}` }];
          }),
        abort.current.signal,
      );
      setUsage(u);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError((e as Error).message);
    } finally {
      abort.current = null;
      rerender((n) => n + 1);
    }
  };

  const code = chatCode(window.location.origin, model ?? '<model>', conversation(messages), params);

  return (
    <Flex gap={16} style={{ height: 'calc(100vh - 230px)', minHeight: 420 }}>
      <Flex vertical gap={8} style={{ flex: 1, minWidth: 0 }}>
        <ChatMessages messages={messages} />
        {error && <Alert type="error" showIcon role="alert" message={t('error.generic', { message: error })} />}
        {usage && <Typography.Text type="secondary" data-testid="chat-usage">{t('play.usage', { prompt: usage.prompt_tokens, completion: usage.completion_tokens })}</Typography.Text>}
        {images.length > 0 && (
          <Flex gap={4}>
            {images.map((_, i) => (
              <Tag key={i} closable onClose={() => setImages(images.filter((__, j) => j !== i))}>
                <PictureOutlined /> {i + 1}
              </Tag>
            ))}
          </Flex>
        )}
        <Flex gap={8}>
          <Input.TextArea
            data-testid="chat-input"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder={t('play.input')}
            autoSize={{ minRows: 2, maxRows: 6 }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <Flex vertical gap={4}>
            {streaming ? (
              <Button icon={<StopOutlined />} onClick={() => abort.current?.abort()}>{t('play.stop')}</Button>
            ) : (
              <Button type="primary" icon={<SendOutlined />} onClick={() => void send()} disabled={!model} data-testid="chat-send">
                {t('play.send')}
              </Button>
            )}
            <Upload
              accept="image/*"
              showUploadList={false}
              beforeUpload={async (file) => {
                const url = await readDataUrl(file);
                setImages((prev) => [...prev, url]);
                return false;
              }}
            >
              <Button icon={<PictureOutlined />}>{t('play.uploadImage')}</Button>
            </Upload>
          </Flex>
        </Flex>
      </Flex>
      <Card size="small" style={{ width: 300, overflowY: 'auto' }}>
        <Flex vertical gap={12}>
          <ModelSelect categories={['llm']} value={model} onChange={setModel} />
          <div>
            <Typography.Text strong>{t('play.system')}</Typography.Text>
            <Input.TextArea value={system} onChange={(e) => setSystem(e.target.value)} placeholder={t('play.systemPlaceholder')} autoSize={{ minRows: 2, maxRows: 6 }} />
          </div>
          <Typography.Text strong>{t('play.parameters')}</Typography.Text>
          <ChatParamsForm value={params} onChange={setParams} />
          <Flex gap={8}>
            <Button icon={<CodeOutlined />} onClick={() => setShowCode(true)}>{t('play.viewCode')}</Button>
            <Button onClick={() => { setMessages([]); setUsage(null); setError(null); }}>{t('play.clear')}</Button>
          </Flex>
        </Flex>
      </Card>
      <Modal open={showCode} title={t('play.viewCode')} footer={null} onCancel={() => setShowCode(false)} width={760}>
        <Tabs
          items={[
            { key: 'python', label: 'Python', children: <CodeBlock code={code.python} /> },
            { key: 'curl', label: 'curl', children: <CodeBlock code={code.curl} /> },
          ]}
        />
      </Modal>
    </Flex>
  );
}
