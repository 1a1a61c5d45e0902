import { useEffect, useState } from 'react';
import { sy } from '../api/endpoints';

interface ServerInfo {
  host: string;
  port: number;
  loopback_only: boolean;
}

/**
 * A standing warning while the API is reachable from other machines (started with --host 0.0.0.0 or
 * a LAN address): whoever has the token can start programs and read the logs.
 */
export function ExposureWarning() {
  const [server, setServer] = useState<ServerInfo | null>(null);
  useEffect(() => {
    void sy.system
      .server()
      .then((res) => setServer(res.server))
      .catch(() => {});
  }, []);
  if (!server || server.loopback_only) return null;
  return (
    <div className="exposure-warning" role="alert" data-testid="exposure-warning">
      Switchyard listens on {server.host}:{server.port}: other machines on your network can reach it. Anyone with the API token can start
      programs and install models here. To keep it on this machine, restart it without <code>--host</code> (or SWITCHYARD_HOST).
    </div>
  );
}
