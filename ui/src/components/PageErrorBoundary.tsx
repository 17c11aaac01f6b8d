import { Alert } from 'antd';
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** Shown above the error's own message. */
  title: string;
}

/** Keeps one broken page from blanking the whole app; the menu stays usable. */
export class PageErrorBoundary extends Component<Props, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(error, info.componentStack);
  }

  render() {
    if (this.state.error) {
      return <Alert type="error" showIcon role="alert" message={this.props.title} description={this.state.error.message} />;
    }
    return this.props.children;
  }
}
