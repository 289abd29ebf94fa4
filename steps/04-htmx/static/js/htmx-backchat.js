// Backchat's htmx extension, next to htmx's own "ws" extension (hx-ext="ws,backchat").
// It unwraps the server's JSON envelope, shows the connection status, counts unread
// messages in the tab title, refuses to send while disconnected, and reconnects after
// every close that may be retried, waiting longer each time, catching up on reconnect.
// It keeps each message it sent until the server answers, and puts back into the input
// whatever was refused or never answered.
(function () {
  // Close codes that mean "don't come back": retrying would only fail again.
  const FINAL_CLOSE_CODES = {
    4401: "You are logged out.",
    4403: "You were removed from this room.",
    4404: "No such room, or you are not a member.",
    4429: "You sent too many messages: reload the page to chat again.",
  }
  // Reconnect after 0.5-1 s, then 1-2 s, 2-4 s, up to 2.5-5 s: a random part of a
  // doubling delay, so that the tabs of a restarted server do not all come back at once,
  // capped low, so that a page is back a few seconds after its server.
  const FIRST_DELAY = 1000
  const MAX_DELAY = 5000
  // Only a socket that stays open this long starts the delays again from the first.
  const STABLE_AFTER = 5000
  // The server answers every frame ("sent" or an error) at once. No answer in this long
  // means it hangs: the page gives up on the socket and opens a new one.
  const ANSWER_DEADLINE = 10000

  const title = document.title
  let unread = 0
  let socket = null // the newest socket
  let attempts = 0 // reconnects since the last stable connection
  let planned = null // the reconnect planned after `socket` closed: {socket, delay}
  let pending = [] // what was sent and not answered yet, oldest first: {body, sentAt}

  function setStatus(state, text) {
    const status = document.getElementById("status")
    status.dataset.state = state
    status.textContent = text
  }

  function showError(...parts) {
    document.getElementById("chat-error").replaceChildren(...parts)
  }

  // Put texts that were not sent back into the input, before anything typed since.
  function putBack(texts) {
    const lost = texts.filter(Boolean)
    const input = document.getElementById("id_body")
    if (lost.length > 0) input.value = [...lost, input.value].filter(Boolean).join(" ")
    return lost.length > 0
  }

  // The socket is gone (closed, or hanging): nothing sent on it will be answered now.
  function lostConnection(reason) {
    const lost = putBack(pending.map((frame) => frame.body))
    pending = []
    showError(reason, lost ? " Your unsent message is back in the box." : "")
  }

  // The id of the newest message on the page, so the server knows where to resume.
  function lastMessageId() {
    const ids = [...document.querySelectorAll("#messages [data-id]")].map((m) => Number(m.dataset.id))
    return Math.max(0, ...ids)
  }

  // The same delay for everyone who asks about one close: the ws extension and us.
  function reconnectDelay() {
    if (planned?.socket !== socket) {
      const ceiling = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** attempts)
      planned = { socket, delay: ceiling * (0.5 + Math.random() / 2) }
      attempts += 1
    }
    return planned.delay
  }

  function closedForGood(room, code) {
    setStatus("closed", "disconnected")
    document.getElementById("presence").replaceChildren() // nobody is known to be here now
    const reason = FINAL_CLOSE_CODES[code]
    if (code !== 4401) return lostConnection(reason)
    const logIn = document.createElement("a")
    logIn.href = room.dataset.loginUrl
    logIn.textContent = "Log in again"
    lostConnection(reason)
    document.getElementById("chat-error").append(" ", logIn, " to chat.")
  }

  htmx.defineExtension("backchat", {
    init() {
      // The ws extension opens every socket through this hook, reconnects included.
      htmx.createWebSocket = (url) => {
        const created = new WebSocket(`${url}?after=${lastMessageId()}`)
        // A socket given up on (a newer one exists) is ignored: its late frames, its close.
        for (const type of ["message", "close", "error"]) {
          created.addEventListener(type, (event) => {
            if (created !== socket) event.stopImmediatePropagation()
          })
        }
        socket = created
        return created
      }
      // ...and asks this function how long to wait before it reconnects.
      htmx.config.wsReconnectDelay = reconnectDelay
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) {
          unread = 0
          document.title = title
        }
      })
    },

    // Called by the ws extension for every frame, before it swaps the HTML in.
    transformResponse(text, xhr, elt) {
      const envelope = JSON.parse(text)
      for (const [name, detail] of Object.entries(envelope.events)) {
        htmx.trigger(elt, name, detail)
      }
      return envelope.html
    },

    onEvent(name, event) {
      // The page starts "connecting"; from then on, a new socket is "reconnecting".
      if (name === "htmx:wsOpen") {
        setStatus("connected", "connected") // a note about lost messages stays until the next send
        const opened = socket
        const { reconnect } = event.detail.socketWrapper
        setTimeout(() => {
          if (socket === opened && opened.readyState === WebSocket.OPEN) attempts = 0
        }, STABLE_AFTER)
        const watch = setInterval(() => {
          if (socket !== opened) return clearInterval(watch)
          if (pending.length > 0 && Date.now() - pending[0].sentAt > ANSWER_DEADLINE) {
            clearInterval(watch)
            setStatus("reconnecting", "reconnecting")
            lostConnection("The server did not answer: check the room before you send again.")
            reconnect() // a new socket now: the hanging one is ignored from here on
          }
        }, 1000)
      } else if (name === "htmx:wsClose") {
        const code = event.detail.event.code
        if (code in FINAL_CLOSE_CODES) return closedForGood(event.target, code)
        if (!event.target.isConnected) return // the element left the page: closed on purpose
        setStatus("reconnecting", "reconnecting")
        lostConnection("The connection was lost.")
        // htmx-ext-ws 2.0.4 reconnects by itself after 1006, 1011, 1012 and 1013 only,
        // waiting reconnectDelay(). Rather than rely on that list, reconnect ourselves a
        // little after the same delay, unless a new socket exists by then.
        const closed = socket
        const { reconnect } = event.detail.socketWrapper
        setTimeout(() => {
          if (socket === closed && event.target.isConnected) reconnect()
        }, reconnectDelay() + 250)
      } else if (name === "htmx:wsConfigSend") {
        // The ws extension would queue it and send it on reconnect, once per press.
        if (socket?.readyState !== WebSocket.OPEN) {
          event.preventDefault()
          // After a final close, the reason it gave stays on show instead.
          const closed = document.getElementById("status").dataset.state === "closed"
          if (!closed) showError("Not connected: your message was not sent.")
        }
      } else if (name === "htmx:wsAfterSend") {
        pending.push({ body: JSON.parse(event.detail.message).body, sentAt: Date.now() })
        event.target.reset()
        showError("")
      } else if (name === "chat:sent") {
        pending.shift()
      } else if (name === "chat:error") {
        putBack([pending.shift()?.body]) // the refused text, with the server's reason
      } else if (name === "chat:message" && document.hidden) {
        unread += event.detail.count
        document.title = `(${unread}) ${title}`
      }
    },
  })
})()
