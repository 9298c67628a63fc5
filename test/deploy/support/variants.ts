/**
 * Everything deploy/ can render into: the two overlays as shipped, and the variants the operations
 * guide tells operators to make (another identity mode, the cert-manager component, pod routing).
 */
import { composeVariant, renderOverlay, type DeployedMode, type KubeObject, type Overlay } from './kustomize.js';

export interface Rendering {
  name: string;
  overlay: Overlay;
  objects: KubeObject[];
}

export const VARIANTS: { overlay: Overlay; mode?: DeployedMode; components?: string[] }[] = [
  { overlay: 'in-front', mode: 'requestHeader' },
  { overlay: 'in-front', mode: 'passthrough' },
  { overlay: 'control-plane', mode: 'impersonate' },
  { overlay: 'in-front', components: ['cert-manager'] },
  { overlay: 'in-front', components: ['pod-routing'] },
  { overlay: 'in-front', components: ['pod-routing', 'cert-manager'] },
  { overlay: 'control-plane', components: ['pod-routing'] },
  { overlay: 'in-front', components: ['shared-budget'] },
];

export async function renderAll(): Promise<Rendering[]> {
  const shipped = await Promise.all(
    (['in-front', 'control-plane'] as const).map(async (overlay) => ({ name: overlay, overlay, objects: await renderOverlay(overlay) })),
  );
  const variants = await Promise.all(
    VARIANTS.map(async (v) => {
      const variant = await composeVariant({ ...v, rendered: shipped.find((r) => r.overlay === v.overlay)!.objects });
      await variant.cleanup();
      const name = [v.overlay, v.mode, ...(v.components ?? [])].filter(Boolean).join(' + ');
      return { name, overlay: v.overlay, objects: variant.objects };
    }),
  );
  return [...shipped, ...variants];
}
