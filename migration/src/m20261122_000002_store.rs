//! The store: movie prices and stock, one cart per user, orders with lines
//! that snapshot title and unit price, and per-user idempotency keys.
//!
//! Money is an integer in the minor unit of the service's one currency
//! (`STORE_CURRENCY`), so sums are exact on every database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
    Price,
    Stock,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Carts {
    Table,
    UserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartItems {
    Table,
    UserId,
    MovieId,
    Quantity,
    AddedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    Status,
    Total,
    Currency,
    IdempotencyKey,
    CreatedAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    MovieId,
    Title,
    UnitPrice,
    Quantity,
    LineTotal,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        // NULL price = not for sale; NULL stock = digital (unlimited). The
        // CHECK is the last line of defence against overselling: a decrement
        // below zero fails even if a code path forgot its condition.
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .add_column(
                        big_integer_null(Movies::Price).check(Expr::col(Movies::Price).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .add_column(integer_null(Movies::Stock).check(Expr::col(Movies::Stock).gte(0)))
                    .to_owned(),
            )
            .await?;

        // A cart row per user: placing an order locks it, so cart edits and
        // placements by one user queue behind each other.
        manager
            .create_table(
                Table::create()
                    .table(Carts::Table)
                    .col(integer(Carts::UserId).primary_key())
                    .col(timestamp_with_time_zone(Carts::CreatedAt))
                    .col(timestamp_with_time_zone(Carts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Carts::Table, Carts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartItems::Table)
                    .col(integer(CartItems::UserId))
                    .col(integer(CartItems::MovieId))
                    .col(
                        small_integer(CartItems::Quantity)
                            .check(Expr::col(CartItems::Quantity).between(1, 99)),
                    )
                    .col(timestamp_with_time_zone(CartItems::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(CartItems::UserId)
                            .col(CartItems::MovieId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CartItems::Table, CartItems::UserId)
                            .to(Carts::Table, Carts::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A deleted movie simply leaves every cart.
                    .foreign_key(
                        ForeignKey::create()
                            .from(CartItems::Table, CartItems::MovieId)
                            .to(Movies::Table, Movies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_auto(Orders::Id))
                    .col(integer(Orders::UserId))
                    .col(
                        string_len(Orders::Status, 16)
                            .check(Expr::col(Orders::Status).is_in(["placed", "cancelled"])),
                    )
                    .col(big_integer(Orders::Total).check(Expr::col(Orders::Total).gte(0)))
                    .col(char_len(Orders::Currency, 3))
                    .col(string_len_null(Orders::IdempotencyKey, 100))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone_null(Orders::CancelledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orders::Table, Orders::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The database, not a pre-check, decides which of two concurrent
        // placements with one key wins. NULL keys never collide.
        manager
            .create_index(
                Index::create()
                    .name("ux_orders_user_idempotency_key")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_orders_user_created",
                vec![Orders::UserId, Orders::CreatedAt, Orders::Id],
            ),
            ("idx_orders_created", vec![Orders::CreatedAt, Orders::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Orders::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .col(pk_auto(OrderItems::Id))
                    .col(integer(OrderItems::OrderId))
                    // NULL once the movie is deleted: the order keeps its
                    // snapshot of title and price.
                    .col(integer_null(OrderItems::MovieId))
                    .col(string(OrderItems::Title))
                    .col(
                        big_integer(OrderItems::UnitPrice)
                            .check(Expr::col(OrderItems::UnitPrice).gte(0)),
                    )
                    .col(
                        small_integer(OrderItems::Quantity)
                            .check(Expr::col(OrderItems::Quantity).between(1, 99)),
                    )
                    .col(
                        big_integer(OrderItems::LineTotal)
                            .check(Expr::col(OrderItems::LineTotal).gte(0)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderItems::Table, OrderItems::MovieId)
                            .to(Movies::Table, Movies::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_items_order")
                    .table(OrderItems::Table)
                    .col(OrderItems::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_items_movie")
                    .table(OrderItems::Table)
                    .col(OrderItems::MovieId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderItems::Table.into_iden(),
            Orders::Table.into_iden(),
            CartItems::Table.into_iden(),
            Carts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Movies::Stock, Movies::Price] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Movies::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
