// Event list; the live seat map arrives with the projection (see README).
const list = document.getElementById('event-list');
const response = await fetch('/api/events');
const { events } = await response.json();
for (const event of events) {
  const item = document.createElement('li');
  item.textContent = `${event.name} — ${event.venue}, ${new Date(event.startsAt).toLocaleString()} — ${event.availability.available} of ${event.availability.total} available`;
  list.append(item);
}
