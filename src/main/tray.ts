import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { buildTrayMenu, type TrayAction, type TrayItem, type TrayState } from './tray-menu';

/** Electron glue for the tray: the menu itself comes from buildTrayMenu (unit-tested). */
export function createTray(iconPath: string, onAction: (action: TrayAction) => void): { update(state: TrayState): void; setStatus(text: string): void; destroy(): void } {
  const tray = new Tray(nativeImage.createFromPath(iconPath));
  tray.setToolTip('Switchyard');
  const toElectron = (items: TrayItem[]): MenuItemConstructorOptions[] =>
    items.map((item): MenuItemConstructorOptions => {
      switch (item.kind) {
        case 'label':
          return { label: item.label, enabled: false };
        case 'separator':
          return { type: 'separator' };
        case 'radio':
          return { type: 'radio', label: item.label, checked: item.checked, enabled: item.enabled, click: () => onAction(item.action) };
        case 'action':
          return { label: item.label, enabled: item.enabled, click: () => onAction(item.action) };
        case 'submenu':
          return { label: item.label, enabled: item.enabled, submenu: toElectron(item.items) };
        default: {
          const never: never = item;
          return never;
        }
      }
    });
  return {
    update(state) {
      tray.setContextMenu(Menu.buildFromTemplate(toElectron(buildTrayMenu(state))));
    },
    /** Replaces the menu by one disabled status line (used while quitting). */
    setStatus(text) {
      tray.setToolTip(`Switchyard — ${text}`);
      tray.setContextMenu(Menu.buildFromTemplate([{ label: text, enabled: false }]));
    },
    destroy() {
      tray.destroy();
    },
  };
}
