// Playing what a simulated audio reader says on this machine's speakers: the first of aplay
// (ALSA), paplay (PulseAudio/PipeWire) and ffplay (FFmpeg) found on the PATH. Node-only (child
// processes): the simulator core stays free of it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface AudioPlayer {
  name: string;
  /** Arguments that play a WAV file. */
  fileArgs(path: string): string[];
  /** Arguments that play raw 16-bit little-endian mono PCM at `rate` from stdin. */
  rawArgs(rate: number): string[];
}

export const PLAYERS: readonly AudioPlayer[] = [
  { name: "aplay", fileArgs: (f) => ["-q", f], rawArgs: (r) => ["-q", "-t", "raw", "-f", "S16_LE", "-r", String(r), "-c", "1", "-"] },
  { name: "paplay", fileArgs: (f) => [f], rawArgs: (r) => ["--raw", "--format=s16le", `--rate=${r}`, "--channels=1"] },
  { name: "ffplay", fileArgs: (f) => ["-nodisp", "-autoexit", "-loglevel", "error", f], rawArgs: (r) => ["-nodisp", "-loglevel", "error", "-f", "s16le", "-ar", String(r), "-ac", "1", "-i", "-"] },
];

/** The first player on PATH, or undefined. */
export function findPlayer(env: NodeJS.ProcessEnv): AudioPlayer | undefined {
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  return PLAYERS.find((p) => dirs.some((d) => existsSync(join(d, p.name))));
}

export function noPlayerMessage(prog: string): string {
  return `${prog}: --play needs one of ${PLAYERS.map((p) => p.name).join(", ")} on the PATH (Debian: apt-get install alsa-utils)`;
}

/** Plays a WAV file; resolves with the player's exit code. */
export function playFile(player: AudioPlayer, path: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(player.name, player.fileArgs(path), { stdio: ["ignore", "ignore", "inherit"], env });
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });
}

/** A player reading raw PCM from its stdin, for live audio. */
export function startRawPlayer(player: AudioPlayer, rate: number, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(player.name, player.rawArgs(rate), { stdio: ["pipe", "ignore", "inherit"], env });
  child.stdin?.on("error", () => {}); // a player that quit: the simulator goes on silently
  return child;
}
