import { Tabs } from 'antd';
import { lazy, Suspense } from 'react';
import { useSearchParams } from 'react-router-dom';
import { PageHeader } from '../../components/PageHeader';
import { useI18n } from '../../i18n';

const ChatPanel = lazy(() => import('./ChatPanel'));
const EmbeddingsPanel = lazy(() => import('./EmbeddingsPanel'));
const RerankPanel = lazy(() => import('./RerankPanel'));
const ImagesPanel = lazy(() => import('./ImagesPanel'));
const SpeechPanel = lazy(() => import('./SpeechPanel'));

const TABS = ['chat', 'embeddings', 'rerank', 'images', 'speech'] as const;
type Tab = (typeof TABS)[number];

export default function PlaygroundPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'chat';
  const panels: Record<Tab, { label: string; node: JSX.Element }> = {
    chat: { label: t('play.chat'), node: <ChatPanel /> },
    embeddings: { label: t('play.embeddings'), node: <EmbeddingsPanel /> },
    rerank: { label: t('play.rerank'), node: <RerankPanel /> },
    images: { label: t('play.images'), node: <ImagesPanel /> },
    speech: { label: t('play.speech'), node: <SpeechPanel /> },
  };
  return (
    <>
      <PageHeader title={t('menu.playground')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k })}
        destroyOnHidden
        items={TABS.map((k) => ({ key: k, label: panels[k].label, children: <Suspense fallback={null}>{panels[k].node}</Suspense> }))}
      />
    </>
  );
}
