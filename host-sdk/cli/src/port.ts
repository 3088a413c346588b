// Opening the service port of a device named on the command line: --port PATH (a real serial
// port or a simulator PTY). Shared by the commands that talk to a display or reader.
import { SerialTransport, ServiceClient } from "@segl/host-sdk/device";
import { UsageError } from "./common.js";

export const PORT_HELP = "  --port PATH     the device's serial port (or a simulator PTY: segl sim code-display --pty PATH)";

export async function openPort(path: string | undefined, timeoutMs = 3000): Promise<{ client: ServiceClient; close(): Promise<void> }> {
  if (!path) throw new UsageError("--port PATH is required");
  const transport = await SerialTransport.open(path, { timeoutMs });
  return { client: new ServiceClient(transport, { timeoutMs }), close: () => transport.close() };
}
