// app/orders/[orderId]/page.tsx
import { OrderStatus } from './OrderStatus';

export default async function OrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  return <OrderStatus orderId={orderId} />;
}
