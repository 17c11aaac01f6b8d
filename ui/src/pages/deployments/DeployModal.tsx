import { Alert, Collapse, Flex, Form, Input, InputNumber, Modal, Select, Tabs } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import type { ModelSet } from '../../api/catalog';
import { modelsApi, type Model, type ModelSource, type ModelSpec } from '../../api/models';
import { useNotify } from '../../hooks/useNotify';
import { useSubmit } from '../../hooks/useSubmit';
import { useI18n } from '../../i18n';
import { AdvancedFields } from './AdvancedFields';
import { CatalogPicker } from './CatalogPicker';
import { CompatibilityCheck } from './CompatibilityCheck';
import { defaultValues, fromModel, hasSource, suggestName, toSpec, type DeployFormValues } from './deployForm';
import { SourceFields } from './SourceFields';

type SourceTab = 'catalog' | ModelSource;

const CATEGORIES = ['llm', 'embedding', 'reranker', 'image', 'speech_to_text', 'text_to_speech'] as const;

/** Deploys a model (or edits one) with a live compatibility check before Save. */
export function DeployModal(props: { open: boolean; model: Model | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const notify = useNotify();
  const [form] = Form.useForm<DeployFormValues>();
  const [tab, setTab] = useState<SourceTab>('huggingface');
  const [values, setValues] = useState<DeployFormValues>(defaultValues);
  const [nameTouched, setNameTouched] = useState(false);
  const [picked, setPicked] = useState<string | null>(null);
  const editing = props.model !== null;

  useEffect(() => {
    if (!props.open) return;
    const initial = props.model ? fromModel(props.model) : defaultValues;
    form.resetFields();
    form.setFieldsValue(initial);
    setValues(initial);
    setTab(initial.source);
    setNameTouched(editing);
    setPicked(null);
  }, [props.open, props.model, form, editing]);

  const sync = () => setValues(form.getFieldsValue(true) as DeployFormValues);

  const onValuesChange = (changed: Partial<DeployFormValues>) => {
    if ('name' in changed) setNameTouched(true);
    else if (!nameTouched) {
      const all = form.getFieldsValue(true) as DeployFormValues;
      const name = suggestName(all);
      if (name) form.setFieldValue('name', name);
    }
    sync();
  };

  const chooseTab = (key: string) => {
    const next = key as SourceTab;
    setTab(next);
    if (next !== 'catalog') form.setFieldValue('source', next);
    sync();
  };

  const pickFromCatalog = (m: ModelSet) => {
    const src = m.sources[0];
    setPicked(String(m.id));
    if (!src) return;
    form.setFieldsValue({
      ...src,
      huggingface_repo_id: src.huggingface_repo_id ?? undefined,
      huggingface_filename: src.huggingface_filename ?? undefined,
      model_scope_model_id: src.model_scope_model_id ?? undefined,
      model_scope_file_path: src.model_scope_file_path ?? undefined,
      local_path: src.local_path ?? undefined,
      backend: m.backend ?? 'auto',
      category: m.categories[0] ?? 'auto',
      ...(nameTouched ? {} : { name: m.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-') }),
    });
    sync();
  };

  const spec = useMemo(() => (hasSource(values) && values.name?.trim() ? toSpec(values) : null), [values]);

  const save = useSubmit(
    async (body: ModelSpec) => {
      if (props.model) await modelsApi.update(props.model.id, body);
      else await modelsApi.create(body);
      notify.success(editing ? t('common.saved') : t('deploy.created'));
      props.onSaved();
      props.onClose();
    },
    { onError: notify.error },
  );

  const submit = async () => {
    await form.validateFields();
    await save.run(toSpec(form.getFieldsValue(true) as DeployFormValues));
  };

  const sourceTabs: { key: SourceTab; label: string }[] = [
    { key: 'catalog', label: t('deploy.fromCatalog') },
    { key: 'huggingface', label: t('deploy.fromHuggingFace') },
    { key: 'model_scope', label: t('deploy.fromModelScope') },
    { key: 'local_path', label: t('deploy.fromLocalPath') },
  ];

  return (
    <Modal
      open={props.open}
      title={editing ? t('deploy.editTitle', { name: props.model?.name ?? '' }) : t('deploy.new')}
      onCancel={props.onClose}
      onOk={submit}
      okText={t('common.save')}
      okButtonProps={{ id: 'deploy-save' }}
      confirmLoading={save.busy}
      width={860}
      destroyOnHidden
    >
      <Tabs activeKey={tab} onChange={chooseTab} items={sourceTabs.map((s) => ({ ...s, disabled: editing && s.key === 'catalog' }))} />
      {tab === 'catalog' && <CatalogPicker selected={picked} onPick={pickFromCatalog} />}
      <Form<DeployFormValues> form={form} layout="vertical" onValuesChange={onValuesChange} initialValues={defaultValues}>
        <Form.Item name="source" hidden>
          <Input />
        </Form.Item>
        {tab === 'catalog' && !picked && <Alert type="info" showIcon message={t('deploy.pickFromCatalog')} style={{ marginBottom: 16 }} />}
        {(tab !== 'catalog' || picked) && <SourceFields source={values.source} />}
        <Flex gap={12}>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]} style={{ flex: 2 }}>
            <Input data-testid="deploy-name" disabled={editing} />
          </Form.Item>
          <Form.Item name="replicas" label={t('deploy.replicas')} style={{ flex: 1 }}>
            <InputNumber min={0} max={64} style={{ width: '100%' }} />
          </Form.Item>
        </Flex>
        <Flex gap={12}>
          <Form.Item name="backend" label={t('deploy.engine')} style={{ flex: 1 }}>
            <Select
              data-testid="deploy-backend"
              options={[
                { value: 'auto', label: t('deploy.auto') },
                { value: 'llama.cpp', label: 'llama.cpp' },
                { value: 'vllm', label: 'vLLM' },
                { value: 'sglang', label: 'SGLang' },
                { value: 'custom', label: 'Custom' },
              ]}
            />
          </Form.Item>
          <Form.Item name="category" label={t('deploy.category')} style={{ flex: 1 }}>
            <Select options={[{ value: 'auto', label: t('deploy.categoryAuto') }, ...CATEGORIES.map((c) => ({ value: c, label: c }))]} />
          </Form.Item>
        </Flex>
        <Form.Item name="description" label={t('common.description')}>
          <Input />
        </Form.Item>
        <Collapse
          size="small"
          style={{ marginBottom: 16 }}
          items={[{ key: 'advanced', label: t('deploy.advanced'), forceRender: true, children: <AdvancedFields /> }]}
        />
      </Form>
      <CompatibilityCheck spec={spec} />
    </Modal>
  );
}
