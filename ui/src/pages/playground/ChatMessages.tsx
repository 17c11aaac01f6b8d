import { Avatar, Empty, Flex, Image, Typography } from 'antd';
import { RobotOutlined, UserOutlined } from '@ant-design/icons';
import { useEffect, useRef } from 'react';
import type { ChatMessage } from '../../api/inference';
import { useI18n } from '../../i18n';

function Content({ message }: { message: ChatMessage }) {
  if (typeof message.content === 'string') return <>{message.content}</>;
  return (
    <>
      {message.content.map((part, i) =>
        part.type === 'text' ? <div key={i}>{part.text}</div> : <Image key={i} src={part.image_url.url} width={160} />,
      )}
    </>
  );
}

/** The conversation so far, scrolled to the newest message. */
export function ChatMessages({ messages }: { messages: ChatMessage[] }) {
  const { t } = useI18n();
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Chromium's scrollIntoView returns a promise: keep it out of the effect's return value.
    void end.current?.scrollIntoView({ block: 'end' });
  }, [messages]);
  const shown = messages.filter((m) => m.role !== 'system');
  return (
    <div style={{ flex: 1, overflowY: 'auto', padding: 12, background: '#fafafa', borderRadius: 8 }} data-testid="chat-messages">
      {shown.length === 0 && <Empty description={t('play.input')} />}
      {shown.map((m, i) => (
        <Flex key={i} gap={10} style={{ marginBottom: 14 }} data-testid={`chat-message-${m.role}`}>
          <Avatar icon={m.role === 'user' ? <UserOutlined /> : <RobotOutlined />} style={{ flex: 'none' }} />
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {m.role === 'user' ? t('play.you') : t('play.assistant')}
            </Typography.Text>
            <div style={{ whiteSpace: 'pre-wrap' }}>
              <Content message={m} />
            </div>
          </div>
        </Flex>
      ))}
      <div ref={end} />
    </div>
  );
}
