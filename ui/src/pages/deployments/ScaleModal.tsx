import { InputNumber, Modal } from 'antd';
import { useEffect, useState } from 'react';
import { modelsApi, type Model } from '../../api/models';
import { useNotify } from '../../hooks/useNotify';
import { useI18n } from '../../i18n';

export function ScaleModal({ model, onClose }: { model: Model | null; onClose: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [replicas, setReplicas] = useState(1);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setReplicas(model?.replicas ?? 1);
  }, [model]);

  const submit = async () => {
    if (!model) return;
    setBusy(true);
    try {
      await modelsApi.update(model.id, { replicas });
      onClose();
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={model !== null} title={t('deploy.scaleTitle', { name: model?.name ?? '' })} onCancel={onClose} onOk={submit} confirmLoading={busy}>
      <InputNumber min={0} max={64} value={replicas} onChange={(v) => setReplicas(v ?? 0)} addonBefore={t('deploy.replicas')} />
    </Modal>
  );
}
