// Demo client for the v1 socket.io contract (src/contract.ts, docs/asyncapi.yaml).
// Every piece of user-supplied text reaches the page through textContent, never as HTML.

const ACK_TIMEOUT_MS = 5000;
const TYPING_IDLE_MS = 2500;
const TYPING_SHOWN_MS = 6000;
const KEPT_MESSAGES = 500;

const $ = (id) => document.getElementById(id);

const state = {
  socket: undefined,
  me: undefined,
  /** room name -> { messages, members: Map<id, User>, typing: Map<id, {user, timer}>, unread } */
  rooms: new Map(),
  current: undefined,
  online: new Map(),
  directs: [],
  typingSent: false,
  typingTimer: undefined,
};

// ---- small DOM helpers ----

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function showError(context, error) {
  const item = el('li', 'error');
  item.append(el('strong', '', error.code ?? 'ERROR'), ` ${context}: ${error.message ?? String(error)}`);
  for (const detail of error.details ?? []) item.append(el('div', 'detail', `${detail.field}: ${detail.messages.join(', ')}`));
  $('errors').prepend(item);
  while ($('errors').children.length > 4) $('errors').lastChild.remove();
  setTimeout(() => item.remove(), 8000);
}

function setStatus(text, kind) {
  $('status').textContent = text;
  $('status').dataset.state = kind;
}

// ---- talking to the gateway ----

/** Emits an event and resolves with its ack data, or undefined after showing the error. */
async function request(event, payload) {
  try {
    const ack = await state.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    if (ack.ok) return ack.data;
    showError(event, ack.error);
  } catch (error) {
    showError(event, { code: 'TIMEOUT', message: `no answer within ${ACK_TIMEOUT_MS} ms (${error.message})` });
  }
  return undefined;
}

function connect(username) {
  const socket = io({ auth: { username } });
  state.socket = socket;
  setStatus('connecting', 'connecting');

  socket.on('connect', () => {
    setStatus('connected', 'online');
    // After a reconnect, rejoin every room and fetch only what was missed.
    for (const [room, data] of state.rooms) joinRoom(room, data.messages.at(-1)?.seq);
  });
  socket.on('disconnect', (reason) => setStatus(`disconnected (${reason})`, 'offline'));
  socket.on('connect_error', (error) => {
    showError('connect', error.data ?? { message: error.message });
    // A refused handshake will not succeed on retry; anything else socket.io retries itself.
    if (error.data?.code) {
      socket.disconnect();
      showLogin();
    }
  });
  socket.on('session', ({ user }) => {
    state.me = user;
    state.online.set(user.id, user);
    $('whoami').textContent = `signed in as ${user.name}`;
    showChat();
    loadOnline();
  });
  socket.on('message:new', (message) => addMessage(message));
  socket.on('message:direct', (message) => addDirect(message));
  socket.on('typing', onTyping);
  socket.on('room:member-joined', ({ room, user }) => {
    roomState(room).members.set(user.id, user);
    addNotice(room, `${user.name} joined`);
    renderMembers();
  });
  socket.on('room:member-left', ({ room, user }) => {
    roomState(room).members.delete(user.id);
    addNotice(room, `${user.name} left`);
    renderMembers();
  });
  socket.on('presence:online', ({ user }) => {
    state.online.set(user.id, user);
    renderOnline();
  });
  socket.on('presence:offline', ({ user }) => {
    state.online.delete(user.id);
    renderOnline();
  });
  socket.on('announcement', (announcement) => {
    for (const room of state.rooms.keys()) addNotice(room, `announcement from ${announcement.from.name}: ${announcement.text}`);
  });
  socket.on('exception', (error) => showError(error.event, error));
  socket.on('session:expired', ({ reason }) => showError('session', { code: 'UNAUTHORIZED', message: reason }));
  socket.on('server:draining', ({ reconnectAfterMs }) =>
    setStatus(`server restarting, reconnecting in ${Math.round(reconnectAfterMs / 1000)} s`, 'connecting'),
  );
}

async function loadOnline() {
  try {
    // Paged by id: follow `next` until the last page.
    let after = '';
    do {
      const response = await fetch(`/users?limit=500&after=${encodeURIComponent(after)}`);
      if (!response.ok) return;
      const { users, next } = await response.json();
      for (const user of users) state.online.set(user.id, { id: user.id, name: user.name });
      after = next ?? '';
    } while (after !== '');
    renderOnline();
  } catch (error) {
    // The online list then fills from presence events alone.
    console.warn('could not load /users', error);
  }
}

// ---- rooms ----

function roomState(room) {
  let data = state.rooms.get(room);
  if (!data) {
    data = { messages: [], members: new Map(), typing: new Map(), unread: 0 };
    state.rooms.set(room, data);
  }
  return data;
}

async function joinRoom(room, sinceSeq) {
  const payload = sinceSeq === undefined ? { room } : { room, sinceSeq };
  const result = await request('room:join', payload);
  if (!result) return;
  const data = roomState(result.room);
  data.members = new Map(result.members.map((user) => [user.id, user]));
  for (const message of result.history) addMessage(message, { quiet: true });
  if (sinceSeq === undefined || state.current === undefined) selectRoom(result.room);
  else render();
}

async function leaveRoom(room) {
  if (!(await request('room:leave', { room }))) return;
  state.rooms.delete(room);
  state.current = state.rooms.keys().next().value;
  render();
}

function selectRoom(room) {
  state.current = room;
  roomState(room).unread = 0;
  render();
  $('message-input').focus();
}

function addMessage(message, { quiet = false } = {}) {
  const data = roomState(message.room);
  if (data.messages.some((known) => known.id === message.id)) return;
  data.messages.push(message);
  data.messages.sort((a, b) => a.seq - b.seq);
  if (data.messages.length > KEPT_MESSAGES) data.messages.splice(0, data.messages.length - KEPT_MESSAGES);
  const typing = data.typing.get(message.from.id);
  if (typing) {
    clearTimeout(typing.timer);
    data.typing.delete(message.from.id);
  }
  if (message.room !== state.current && !quiet) data.unread += 1;
  render();
}

function addNotice(room, text) {
  const data = roomState(room);
  data.messages.push({ notice: true, id: `notice-${Date.now()}-${Math.random()}`, text, seq: data.messages.at(-1)?.seq ?? 0 });
  render();
}

async function sendMessage(text) {
  const room = state.current;
  stopTyping();
  const result = await request('message:send', { room, text, clientMsgId: crypto.randomUUID() });
  // The sender learns of its own message through the ack, not through message:new.
  if (result) addMessage(result.message);
  return result !== undefined;
}

// ---- typing ----

function onTyping({ room, user, typing }) {
  const data = roomState(room);
  clearTimeout(data.typing.get(user.id)?.timer);
  if (typing) {
    // A client that vanishes mid-sentence never sends typing:false; forget it after a while.
    const timer = setTimeout(() => {
      data.typing.delete(user.id);
      renderTyping();
    }, TYPING_SHOWN_MS);
    data.typing.set(user.id, { user, timer });
  } else {
    data.typing.delete(user.id);
  }
  renderTyping();
}

function noteTyping() {
  if (!state.current) return;
  if (!state.typingSent) {
    state.typingSent = true;
    request('typing', { room: state.current, typing: true });
  }
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(state.typingTimer);
  if (!state.typingSent || !state.current) return;
  state.typingSent = false;
  request('typing', { room: state.current, typing: false });
}

// ---- direct messages ----

function addDirect(message, delivered) {
  if (state.directs.some((known) => known.message.id === message.id)) return;
  state.directs.push({ message, delivered });
  renderDirects();
}

async function sendDirect(to, text) {
  const result = await request('message:direct', { to, text, clientMsgId: crypto.randomUUID() });
  if (result) addDirect(result.message, result.delivered);
  return result !== undefined;
}

// ---- rendering ----

function render() {
  renderRooms();
  renderMessages();
  renderMembers();
  renderTyping();
  const inRoom = state.current !== undefined;
  $('room-title').textContent = inRoom ? `# ${state.current}` : 'No room joined';
  $('leave').hidden = !inRoom;
  $('message-input').disabled = !inRoom;
  $('composer').querySelector('button').disabled = !inRoom;
}

function renderRooms() {
  const list = $('rooms');
  list.replaceChildren();
  for (const [room, data] of state.rooms) {
    const item = el('li', room === state.current ? 'active' : '');
    const button = el('button', 'link', `# ${room}`);
    button.type = 'button';
    button.addEventListener('click', () => selectRoom(room));
    item.append(button);
    if (data.unread > 0) item.append(el('span', 'badge', String(data.unread)));
    list.append(item);
  }
}

function renderMessages() {
  const list = $('messages');
  list.replaceChildren();
  const data = state.current && state.rooms.get(state.current);
  if (!data) return;
  for (const message of data.messages) {
    if (message.notice) {
      list.append(el('li', 'notice', message.text));
      continue;
    }
    const mine = message.from.id === state.me?.id;
    const item = el('li', mine ? 'message mine' : 'message');
    item.dataset.seq = String(message.seq);
    item.append(el('span', 'time', timeOf(message.sentAt)), el('span', 'from', message.from.name), el('span', 'text', message.text));
    list.append(item);
  }
  list.scrollTop = list.scrollHeight;
}

function userItem(user) {
  const item = el('li');
  const button = el('button', 'link', user.id === state.me?.id ? `${user.name} (you)` : user.name);
  button.type = 'button';
  button.title = 'Send a direct message';
  button.addEventListener('click', () => {
    $('dm-to').value = user.id;
    $('dm-text').focus();
  });
  item.append(button);
  return item;
}

function renderMembers() {
  const data = state.current && state.rooms.get(state.current);
  $('members-room').textContent = state.current ? `in ${state.current}` : '';
  $('members').replaceChildren(...(data ? [...data.members.values()].map(userItem) : []));
}

function renderOnline() {
  $('online').replaceChildren(...[...state.online.values()].map(userItem));
}

function renderTyping() {
  const data = state.current && state.rooms.get(state.current);
  const names = data ? [...data.typing.values()].map(({ user }) => user.name) : [];
  $('typing').textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function renderDirects() {
  const list = $('directs');
  list.replaceChildren();
  for (const { message, delivered } of state.directs) {
    const outgoing = message.from.id === state.me?.id;
    const item = el('li', outgoing ? 'message mine' : 'message');
    const label = outgoing ? `to ${message.to.name}` : `from ${message.from.name}`;
    item.append(el('span', 'time', timeOf(message.sentAt)), el('span', 'from', label), el('span', 'text', message.text));
    if (outgoing && delivered === false) item.append(el('span', 'muted', ' (offline: stored)'));
    list.append(item);
  }
  list.scrollTop = list.scrollHeight;
}

function showChat() {
  $('login').hidden = true;
  $('chat').hidden = false;
  render();
}

function showLogin() {
  $('login').hidden = false;
  $('chat').hidden = true;
  $('whoami').textContent = '';
}

// ---- wiring ----

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  state.socket?.disconnect();
  connect($('username').value.trim());
});

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const room = $('room-input').value.trim();
  if (state.rooms.has(room)) selectRoom(room);
  else joinRoom(room);
});

$('leave').addEventListener('click', () => state.current && leaveRoom(state.current));

$('message-input').addEventListener('input', () => ($('message-input').value ? noteTyping() : stopTyping()));

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('message-input');
  const text = input.value;
  if (!text.trim() || !state.current) return;
  input.value = '';
  if (!(await sendMessage(text))) input.value = text;
});

$('dm-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('dm-text').value;
  $('dm-text').value = '';
  if (!(await sendDirect($('dm-to').value.trim(), text))) $('dm-text').value = text;
});
