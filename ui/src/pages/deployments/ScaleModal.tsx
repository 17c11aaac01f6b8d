import { InputNumber, Modal } from 'antd';
import { useEffect, useState } from 'react';
import { modelsApi, type Model } from '../../api/models';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';

export function ScaleModal({ model, onClose }: { model: Model | null; onClose: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [replicas, setReplicas] = useState(1);
  useEffect(() => {
    setReplicas(model?.replicas ?? 1);
  }, [model]);

  const save = useSubmit(
    async (target: Model) => {
      await modelsApi.update(target.id, { replicas });
      onClose();
    },
    { onError: notify.error },
  );

  const submit = async () => {
    if (model) await save.run(model);
  };

  return (
    <Modal open={model !== null} title={t('deploy.scaleTitle', { name: model?.name ?? '' })} onCancel={onClose} onOk={submit} confirmLoading={save.busy}>
      <InputNumber min={0} max={64} value={replicas} onChange={(v) => setReplicas(v ?? 0)} addonBefore={t('deploy.replicas')} />
    </Modal>
  );
}
