/**
 * What the ban and mute check adds to every send, edit and typing notice: RoomRestrictions'
 * assertMayPost, timed alone, with no restriction held and with many held (the rooms of the
 * sender, and other rooms). Run with `npm run bench:restrictions`. The end-to-end A/B of the same
 * change (the rooms scenario of `npm run bench`, with and without `--restrictions`) is in
 * docs/benchmarks.md; this separates the check from that run's noise.
 */
import { performance } from 'node:perf_hooks';
import type { RoomRestriction } from '../src/contract.js';
import { RoomRestrictions } from '../src/moderation/room-restrictions.js';

const CALLS = 5_000_000;
const ROOMS = 1_000;
const SENDERS = 100;

interface Case {
  name: string;
  restrictions: RoomRestrictions;
}

function restriction(room: string, userId: string): RoomRestriction {
  return { room, userId, reason: null, createdAt: new Date().toISOString(), until: null, by: 'bench' };
}

function cases(): Case[] {
  const none = new RoomRestrictions();
  const otherRooms = new RoomRestrictions();
  const sameRooms = new RoomRestrictions();
  for (let room = 0; room < ROOMS; room += 1) {
    for (let user = 0; user < 10; user += 1) {
      otherRooms.put('ban', restriction(`other-${room}`, `absent-${user}`));
      otherRooms.put('mute', restriction(`other-${room}`, `absent-${user}`));
      sameRooms.put('ban', restriction(`room-${room}`, `absent-${user}`));
      sameRooms.put('mute', restriction(`room-${room}`, `absent-${user}`));
    }
  }
  return [
    { name: 'none held', restrictions: none },
    { name: `${ROOMS * 20} held in other rooms`, restrictions: otherRooms },
    { name: `${ROOMS * 20} held, 20 in each sender's room`, restrictions: sameRooms },
  ];
}

const rooms = Array.from({ length: ROOMS }, (_, i) => `room-${i}`);
const senders = Array.from({ length: SENDERS }, (_, i) => `sender-${i}`);

/** ns per call over CALLS calls of senders that are neither banned nor muted (the usual send). */
function time(check: (userId: string, room: string) => void): number {
  const started = performance.now();
  for (let call = 0; call < CALLS; call += 1) check(senders[call % SENDERS]!, rooms[call % ROOMS]!);
  return ((performance.now() - started) * 1e6) / CALLS;
}

function best(check: (userId: string, room: string) => void): number {
  let fastest = Infinity;
  for (let run = 0; run < 5; run += 1) fastest = Math.min(fastest, time(check));
  return fastest;
}

function main(): void {
  process.stdout.write(`assertMayPost, ${CALLS.toLocaleString('en')} calls per case (best of 5 runs)\n`);
  let sink = 0;
  const loop = best((userId, room) => {
    sink += userId.length + room.length;
  });
  process.stdout.write(`  ${'the loop alone (subtracted below)'.padEnd(44)} ${loop.toFixed(1)} ns per call\n`);
  for (const { name, restrictions } of cases()) {
    const perCall = best((userId, room) => restrictions.assertMayPost(userId, room));
    process.stdout.write(`  ${name.padEnd(44)} ${Math.max(perCall - loop, 0).toFixed(1)} ns per check\n`);
  }
  if (sink < 0) process.stdout.write('\n');
}

main();
