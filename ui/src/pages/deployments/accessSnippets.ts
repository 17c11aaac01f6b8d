import type { Category } from '../../api/models';

/** Request examples for a deployment, chosen by what the model does. */
export interface Snippets {
  curl: string;
  python: string;
}

const KEY = '$GPUSTACK_API_KEY';

function curlBody(category: Category, model: string): [string, string] {
  switch (category) {
    case 'embedding':
      return ['embeddings', `{"model": "${model}", "input": ["Hello world"]}`];
    case 'reranker':
      return ['rerank', `{"model": "${model}", "query": "What is a GPU?", "documents": ["A GPU is a processor.", "Bananas are yellow."]}`];
    case 'image':
      return ['images/generations', `{"model": "${model}", "prompt": "a red fox", "size": "512x512", "response_format": "b64_json"}`];
    case 'text_to_speech':
      return ['audio/speech', `{"model": "${model}", "input": "Hello", "voice": "default"}`];
    default:
      return ['chat/completions', `{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}], "stream": true}`];
  }
}

function pythonCall(category: Category, model: string): string {
  switch (category) {
    case 'embedding':
      return `emb = client.embeddings.create(model="${model}", input=["Hello world"])\nprint(len(emb.data[0].embedding))`;
    case 'image':
      return `img = client.images.generate(model="${model}", prompt="a red fox", size="512x512", response_format="b64_json")\nprint(len(img.data[0].b64_json))`;
    case 'speech_to_text':
      return `with open("speech.wav", "rb") as f:\n    print(client.audio.transcriptions.create(model="${model}", file=f).text)`;
    case 'text_to_speech':
      return `audio = client.audio.speech.create(model="${model}", input="Hello", voice="default")\naudio.write_to_file("hello.wav")`;
    default:
      return `stream = client.chat.completions.create(\n    model="${model}",\n    messages=[{"role": "user", "content": "Hello!"}],\n    stream=True,\n)\nfor chunk in stream:\n    if chunk.choices and chunk.choices[0].delta.content:\n        print(chunk.choices[0].delta.content, end="", flush=True)`;
  }
}

export function buildSnippets(baseUrl: string, model: string, category: Category): Snippets {
  if (category === 'speech_to_text') {
    return {
      curl: `curl ${baseUrl}/audio/transcriptions \\\n  -H "Authorization: Bearer ${KEY}" \\\n  -F model=${model} -F file=@speech.wav`,
      python: pythonSnippet(baseUrl, category, model),
    };
  }
  const [route, body] = curlBody(category, model);
  return {
    curl: `curl ${baseUrl}/${route} \\\n  -H "Authorization: Bearer ${KEY}" \\\n  -H "Content-Type: application/json" \\\n  -d '${body}'`,
    python: pythonSnippet(baseUrl, category, model),
  };
}

function pythonSnippet(baseUrl: string, category: Category, model: string): string {
  if (category === 'reranker') {
    return `import os, httpx\n\nr = httpx.post(\n    "${baseUrl}/rerank",\n    headers={"Authorization": f"Bearer {os.environ['GPUSTACK_API_KEY']}"},\n    json={"model": "${model}", "query": "What is a GPU?", "documents": ["A GPU is a processor.", "Bananas are yellow."]},\n)\nprint(r.json()["results"])`;
  }
  return `import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url="${baseUrl}", api_key=os.environ["GPUSTACK_API_KEY"])\n${pythonCall(category, model)}`;
}
