// Backchat's htmx extension, next to htmx's own "ws" extension (hx-ext="ws,backchat").
// It unwraps the server's JSON envelope, shows the connection status, counts unread
// messages in the tab title, and makes every reconnect catch up on what was missed.
(function () {
  // Our close codes mean "don't come back": retrying would only fail again.
  const FINAL_CLOSE_CODES = {
    4401: "log in again to chat",
    4403: "you are not a member of this room",
    4404: "this room does not exist",
  }
  // The ws extension reconnects after these codes by itself; we handle the others.
  const RETRIED_BY_WS_EXTENSION = [1006, 1011, 1012, 1013]
  const title = document.title
  let unread = 0
  let lastSent = "" // put back in the input if the server refuses it

  function setStatus(state, text) {
    const status = document.getElementById("status")
    status.dataset.state = state
    status.textContent = text
  }

  // The id of the newest message on the page, so the server knows where to resume.
  function lastMessageId() {
    const ids = [...document.querySelectorAll("#messages [data-id]")].map((m) => Number(m.dataset.id))
    return Math.max(0, ...ids)
  }

  htmx.defineExtension("backchat", {
    init() {
      // The ws extension opens every socket through this hook, reconnects included.
      htmx.createWebSocket = (url) => new WebSocket(`${url}?after=${lastMessageId()}`)
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) {
          unread = 0
          document.title = title
        }
      })
    },

    // Called by the ws extension for every frame before it swaps the HTML in.
    transformResponse(text, xhr, elt) {
      const envelope = JSON.parse(text)
      for (const [name, detail] of Object.entries(envelope.events)) {
        htmx.trigger(elt, name, detail)
      }
      return envelope.html
    },

    onEvent(name, event) {
      if (name === "htmx:wsConnecting") {
        setStatus("connecting", "connecting")
      } else if (name === "htmx:wsOpen") {
        setStatus("connected", "connected")
      } else if (name === "htmx:wsClose") {
        const code = event.detail.event.code
        if (code in FINAL_CLOSE_CODES) {
          setStatus("closed", `disconnected: ${FINAL_CLOSE_CODES[code]}`)
          return
        }
        setStatus("reconnecting", "reconnecting")
        // For example 1000 after Daphne's --websocket_timeout: never leave a dead tab
        // (unless the element itself left the page, which closes its socket on purpose).
        if (!RETRIED_BY_WS_EXTENSION.includes(code) && event.target.isConnected) {
          setTimeout(event.detail.socketWrapper.reconnect, 1000)
        }
      } else if (name === "htmx:wsAfterSend") {
        lastSent = event.target.elements.body.value
        event.target.reset()
        document.getElementById("chat-error").textContent = ""
      } else if (name === "chat:error") {
        const input = document.getElementById("id_body")
        input.value = input.value || lastSent
      } else if (name === "chat:message" && document.hidden) {
        unread += event.detail.count
        document.title = `(${unread}) ${title}`
      }
    },
  })
})()
