// SPDX-License-Identifier: MIT
// The official JavaScript clients against mockapi, unmodified:
//   node clients.mjs NODE_MODULES incluster
//       KubeConfig.loadFromCluster() (reads /var/run/secrets/... : run it
//       through incluster.sh) + CoreV1Api.listNamespacedPod(namespace)
//   node clients.mjs NODE_MODULES default
//       KubeConfig.loadFromDefault() ($KUBECONFIG, the one mockapi wrote)
//       + listNamespacedPod("default")
//   node clients.mjs NODE_MODULES verify URL TOKEN AUDIENCE
//       jose: /.well-known/openid-configuration -> jwks_uri ->
//       jwtVerify(iss, aud, exp) (the CA through NODE_EXTRA_CA_CERTS)
// Prints one JSON line with what it found; exits 1 on an error.
import { createRequire } from 'node:module';
import path from 'node:path';

const [, , modules, mode, ...args] = process.argv;
const require = createRequire(path.join(path.resolve(modules), 'x.js'));

async function pods(kc, ns) {
	const k8s = await import(require.resolve('@kubernetes/client-node'));
	const api = kc.makeApiClient(k8s.CoreV1Api);
	const list = await api.listNamespacedPod({ namespace: ns });
	return list.items.map((p) => p.metadata.name).sort();
}

async function main() {
	const k8s = await import(require.resolve('@kubernetes/client-node'));
	const kc = new k8s.KubeConfig();
	if (mode === 'incluster') {
		kc.loadFromCluster();
		const ns = kc.getContextObject(kc.getCurrentContext()).namespace;
		return { server: kc.getCurrentCluster().server, namespace: ns,
			user: kc.getCurrentUser().name, pods: await pods(kc, ns) };
	}
	if (mode === 'default') {
		kc.loadFromDefault();
		return { server: kc.getCurrentCluster().server,
			context: kc.getCurrentContext(),
			pods: await pods(kc, 'default') };
	}
	if (mode === 'verify') {
		const [url, token, audience] = args;
		const jose = await import(require.resolve('jose'));
		const res = await fetch(`${url}/.well-known/openid-configuration`);
		const disc = await res.json();
		const jwks = jose.createRemoteJWKSet(new URL(disc.jwks_uri));
		const { payload, protectedHeader } = await jose.jwtVerify(token,
			jwks, { issuer: disc.issuer, audience });
		return { issuer: disc.issuer, jwks_uri: disc.jwks_uri,
			alg: protectedHeader.alg, sub: payload.sub, aud: payload.aud,
			exp_after_now: payload.exp > Date.now() / 1000 };
	}
	throw new Error(`unknown mode ${mode}`);
}

main().then((r) => {
	console.log(JSON.stringify(r));
}, (e) => {
	console.log(JSON.stringify({ error: String(e && (e.code || e.message)),
		body: e && e.body ? String(e.body).slice(0, 300) : undefined }));
	process.exit(1);
});
