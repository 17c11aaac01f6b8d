import type { ChatMessage, ChatParams } from '../../api/inference';

/** The current chat as a runnable Python (OpenAI SDK) and curl request. */
export function chatCode(origin: string, model: string, messages: ChatMessage[], params: ChatParams) {
  const body = { model, messages, stream: true, ...params };
  const json = JSON.stringify(body, null, 2);
  const python = [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${origin}/v1", api_key=os.environ["GPUSTACK_API_KEY"])`,
    `stream = client.chat.completions.create(**${JSON.stringify(body, null, 4).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None')})`,
    'for chunk in stream:',
    '    if chunk.choices and chunk.choices[0].delta.content:',
    '        print(chunk.choices[0].delta.content, end="", flush=True)',
  ].join('\n');
  const curl = `curl ${origin}/v1/chat/completions \\\n  -H "Authorization: Bearer $GPUSTACK_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${json.replace(/'/g, "'\\''")}'`;
  return { python, curl };
}
