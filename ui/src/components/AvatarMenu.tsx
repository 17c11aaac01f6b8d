import { UserOutlined } from '@ant-design/icons';
import { Avatar, Dropdown, type MenuProps } from 'antd';
import { useState } from 'react';

/**
 * The signed-in user's menu: opens on hover, on click and from the keyboard (Enter or Space
 * on the focused avatar button).
 */
export function AvatarMenu({ username, menu }: { username?: string; menu: MenuProps }) {
  const [open, setOpen] = useState(false);
  return (
    <Dropdown
      menu={{
        ...menu,
        onClick: (info) => {
          setOpen(false);
          menu.onClick?.(info);
        },
      }}
      trigger={['hover', 'click']}
      open={open}
      onOpenChange={setOpen}
    >
      <button
        type="button"
        data-testid="avatar-menu"
        aria-haspopup="menu"
        aria-expanded={open}
        // The trigger toggles on click, so a click after hover opened the menu would close it;
        // a click on the avatar always means "show the menu" (this runs after the toggle).
        onClick={() => setOpen(true)}
        style={{
          display: 'flex',
          alignItems: 'center',
          gap: 8,
          cursor: 'pointer',
          background: 'none',
          border: 'none',
          padding: 0,
          font: 'inherit',
          color: 'inherit',
        }}
      >
        <Avatar icon={<UserOutlined />} />
        <span>{username}</span>
      </button>
    </Dropdown>
  );
}
