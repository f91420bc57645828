import { createAiccClient, gatewayTokenProvider, type ChatIdentity } from 'aicc-chat-machine'
import { useChatSession } from 'aicc-chat-machine/react'

const gateway = `${location.origin}/aicc` // your server mounts aicc-chat-machine/gateway here
const client = createAiccClient({ baseUrl: gateway, token: gatewayTokenProvider(gateway) })
const { userId, userName, channelId, locale }: ChatIdentity = await (await fetch(`/demo/identity${location.search}`)).json() // your login's customer

export default function App() {
  const { chat, error } = useChatSession({ client, identity: { userId, userName, channelId, locale } })
  if (!chat) return <p role={error ? 'alert' : undefined}>{error?.message ?? 'Starting…'}</p>
  return (
    <section lang={chat.lang}>
      <p data-testid="chat-status" data-phase={chat.phase}>{chat.endText ?? chat.statusText}</p>
      <p role="status" aria-label="Queue">{chat.queue?.text}</p>
      <ul role="log" aria-label="Transcript">
        {chat.transcript.map((entry) => entry.kind === 'message' && <li key={entry.key} data-testid={`msg-${entry.from}`}>{entry.file?.name ?? entry.text}</li>)}
      </ul>
      <form action={(form) => chat.sendMessage(String(form.get('text')))}>
        <input name="text" aria-label="Message" />
        <button disabled={!chat.can.type}>Send</button>
        <input type="file" aria-label="Send a file" accept={chat.upload.accept} disabled={!chat.can.sendFile} onChange={(event) => event.target.files?.[0] && chat.sendFile(event.target.files[0])} />
      </form>
      {chat.can.requestAgent && <button onClick={() => chat.requestAgent()}>Talk to a human</button>}
      {chat.can.end && <button onClick={() => chat.end()}>End chat</button>}
      {chat.survey?.levels.map((level) => <button key={level.key} onClick={() => chat.submitSurvey({ evaluation: level.key })}>{level.label}</button>)}
      {chat.survey?.target === 'robot' && <button onClick={() => chat.submitSurvey({ satisfied: true })}>It helped</button>}
      {chat.survey && <button onClick={() => chat.skip()}>Skip the survey</button>}
    </section>
  )
}
