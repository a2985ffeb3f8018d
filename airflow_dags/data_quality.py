"""data_quality

Clean a month of orders, check them, and report revenue: data quality with Hamilton's decorators.

`raw_orders` reads the CSV shipped with the example (a few dozen made-up orders, with the
faults a real export has: duplicated rows, cancelled and returned orders, stray spaces and
capitals, a missing price, one bulk order of 120 units). The cleaning steps are written as
small private functions and chained onto `orders` with `@pipe_input`; `@extract_columns`
then makes each column a node of its own.

The checks are nodes too, so a run returns their results beside the metrics:

- `@check_output(range=..., importance="warn", target_="quantity")` flags unusual order sizes
  (the bulk order fails it: the run logs a warning and goes on);
- `@check_output(data_type=..., allow_nans=False, importance="fail")` on `amount` stops the run
  if cleaning ever lets through an order without a price;
- `@check_output_custom(MaxShareValidator(...))` is a validator of our own: it warns when one
  region or customer holds too large a share of revenue.

Each check adds a `<node>_<check>_validator` node whose value is a `ValidationResult`.
`@config.when` chooses whether amounts are converted to US dollars (`convert_currency`),
`@parameterize` makes one revenue breakdown per key from one function, `@does` reuses a
plain ratio function for the average order value, and `@tag` labels nodes for owners and
catalogs (tags named `airflow_<setting>` would also become Airflow task settings).

Compiled by hamilflow: 28 tasks computing total_revenue, order_count, average_order_value, revenue_by_region, revenue_by_customer, quantity_range_validator, amount_data_type_validator, amount_allow_nans_validator, revenue_by_region_max_share_validator, revenue_by_customer_max_share_validator. Values travel through the hamilflow artifact store; XCom carries only references and item chunks.
"""

# Compiled by hamilflow from examples.data_quality.pipeline; do not edit by hand.
# Regenerate after changing the pipeline: hamilflow compile --recompile <this file>
# Outputs: total_revenue, order_count, average_order_value, revenue_by_region, revenue_by_customer, quantity_range_validator, amount_data_type_validator, amount_allow_nans_validator, revenue_by_region_max_share_validator, revenue_by_customer_max_share_validator. Plan fingerprint: a6f7504c33a47f53.
# hamilflow-compile: {"catchup": false, "config": {"convert_currency": true}, "dag_id": "data_quality", "final_vars": ["total_revenue", "order_count", "average_order_value", "revenue_by_region", "revenue_by_customer", "quantity_range_validator", "amount_data_type_validator", "amount_allow_nans_validator", "revenue_by_region_max_share_validator", "revenue_by_customer_max_share_validator"], "grouping": "default", "modules": ["examples.data_quality.pipeline"], "params": {}, "retries": null, "schedule": null, "start_date": "2024-01-01", "store_url": null, "tags": ["hamilflow"]}

import datetime

from airflow.sdk import Param, TaskGroup, dag, task

from hamilflow.runtime.airflow import CompiledPipeline

SPEC = '{"config": {"convert_currency": true}, "context_inputs": [], "dag_id": "data_quality", "final_vars": ["total_revenue", "order_count", "average_order_value", "revenue_by_region", "revenue_by_customer", "quantity_range_validator", "amount_data_type_validator", "amount_allow_nans_validator", "revenue_by_region_max_share_validator", "revenue_by_customer_max_share_validator"], "fingerprint": "a6f7504c33a47f53", "grouping": "default", "modules": ["examples.data_quality.pipeline"], "params": ["orders_file"], "store_url": null}'
pipeline = CompiledPipeline(SPEC)


@dag(
    dag_id='data_quality',
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=['hamilflow'],
    params={
        'orders_file': Param('orders.csv', type='string', description='input of raw_orders (str)'),
    },
    doc_md=__doc__,
)
def data_quality():
    orders_group = TaskGroup(group_id='orders')

    @task(
        task_id='raw_orders',
        doc_md=(
            "The orders export as it arrives, read from the example's folder.\n\n"
            '**raw_orders** (DataFrame) — `examples.data_quality.pipeline.raw_orders`'
        ),
    )
    def raw_orders():
        return pipeline.run('raw_orders')

    @task(
        task_id='deduplicated',
        task_group=orders_group,
        doc_md=(
            'Keep the first row of each order id (the export repeats some rows).\n\n'
            '**orders.deduplicated** (DataFrame) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def orders_deduplicated(raw_orders):
        return pipeline.run('orders.deduplicated')

    @task(
        task_id='kept',
        task_group=orders_group,
        doc_md=(
            'Keep orders whose status counts as revenue.\n\n'
            '**orders.kept** (DataFrame) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def orders_kept(orders_deduplicated):
        return pipeline.run('orders.kept')

    @task(
        task_id='tidied',
        task_group=orders_group,
        doc_md=(
            'Trim and normalise the case of customer names, regions and currency codes.\n\n'
            '**orders.tidied** (DataFrame) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def orders_tidied(orders_kept):
        return pipeline.run('orders.tidied')

    @task(
        task_id='priced',
        task_group=orders_group,
        doc_md=(
            'Drop orders without a unit price: they cannot be valued.\n\n'
            '**orders.priced** (DataFrame) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def orders_priced(orders_tidied):
        return pipeline.run('orders.priced')

    @task(
        task_id='orders',
        task_group=orders_group,
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**orders** (DataFrame) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def orders(orders_priced):
        return pipeline.run('orders')

    @task(
        task_id='quantity_raw',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**quantity_raw** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def quantity_raw(orders):
        return pipeline.run('quantity_raw')

    @task(
        task_id='order_id',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**order_id** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def order_id(orders):
        return pipeline.run('order_id')

    @task(
        task_id='customer',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**customer** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def customer(orders):
        return pipeline.run('customer')

    @task(
        task_id='region',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**region** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def region(orders):
        return pipeline.run('region')

    @task(
        task_id='unit_price',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**unit_price** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def unit_price(orders):
        return pipeline.run('unit_price')

    @task(
        task_id='currency',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**currency** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def currency(orders):
        return pipeline.run('currency')

    @task(
        task_id='quantity_range_validator',
        doc_md=(
            'Validates that the datapoint falls within the range (1, 100)\n\n'
            '**quantity_range_validator** (ValidationResult) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def quantity_range_validator(quantity_raw):
        return pipeline.run('quantity_range_validator')

    @task(
        task_id='order_count',
        doc_md=(
            'How many orders were kept.\n\n'
            '**order_count** (int) — `examples.data_quality.pipeline.order_count`'
        ),
    )
    def order_count(order_id):
        return pipeline.run('order_count')

    @task(
        task_id='usd_rate',
        doc_md=(
            "US dollars per unit of each order's currency.\n\n"
            '**usd_rate** (Series) — `examples.data_quality.pipeline.usd_rate__converted`'
        ),
    )
    def usd_rate(currency):
        return pipeline.run('usd_rate')

    @task(
        task_id='quantity',
        doc_md=(
            'Orders fit to report on: deduplicated, revenue statuses only, tidy text, priced.\n\n'
            '**quantity** (Series) — `examples.data_quality.pipeline.orders`'
        ),
    )
    def quantity(quantity_raw, quantity_range_validator):
        return pipeline.run('quantity')

    @task(
        task_id='amount_raw',
        doc_md=(
            "Each order's value; every kept order must have one.\n\n"
            '**amount_raw** (Series) — `examples.data_quality.pipeline.amount`'
        ),
    )
    def amount_raw(quantity, unit_price, usd_rate):
        return pipeline.run('amount_raw')

    @task(
        task_id='amount_data_type_validator',
        doc_md=(
            "Validates that the datatype of the pandas series is a subclass of: <class 'numpy.float64'>\n\n"
            '**amount_data_type_validator** (ValidationResult) — `examples.data_quality.pipeline.amount`'
        ),
    )
    def amount_data_type_validator(amount_raw):
        return pipeline.run('amount_data_type_validator')

    @task(
        task_id='amount_allow_nans_validator',
        doc_md=(
            'Validates that no more than 0.00% of the data is Nan.\n\n'
            '**amount_allow_nans_validator** (ValidationResult) — `examples.data_quality.pipeline.amount`'
        ),
    )
    def amount_allow_nans_validator(amount_raw):
        return pipeline.run('amount_allow_nans_validator')

    @task(
        task_id='amount',
        doc_md=(
            "Each order's value; every kept order must have one.\n\n"
            '**amount** (Series) — `examples.data_quality.pipeline.amount`'
        ),
    )
    def amount(amount_raw, amount_data_type_validator, amount_allow_nans_validator):
        return pipeline.run('amount')

    @task(
        task_id='revenue_by_region_raw',
        doc_md=(
            'Revenue per region, largest first.\n\n'
            '**revenue_by_region_raw** (Series) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_region_raw(amount, region):
        return pipeline.run('revenue_by_region_raw')

    @task(
        task_id='revenue_by_customer_raw',
        doc_md=(
            'Revenue per customer, largest first.\n\n'
            '**revenue_by_customer_raw** (Series) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_customer_raw(amount, customer):
        return pipeline.run('revenue_by_customer_raw')

    @task(
        task_id='total_revenue',
        doc_md=(
            'Revenue of all kept orders.\n\n'
            '**total_revenue** (float) — `examples.data_quality.pipeline.total_revenue`'
        ),
    )
    def total_revenue(amount):
        return pipeline.run('total_revenue')

    @task(
        task_id='revenue_by_region_max_share_validator',
        doc_md=(
            'No single entry holds more than 60% of the total.\n\n'
            '**revenue_by_region_max_share_validator** (ValidationResult) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_region_max_share_validator(revenue_by_region_raw):
        return pipeline.run('revenue_by_region_max_share_validator')

    @task(
        task_id='revenue_by_customer_max_share_validator',
        doc_md=(
            'No single entry holds more than 60% of the total.\n\n'
            '**revenue_by_customer_max_share_validator** (ValidationResult) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_customer_max_share_validator(revenue_by_customer_raw):
        return pipeline.run('revenue_by_customer_max_share_validator')

    @task(
        task_id='average_order_value',
        doc_md=(
            'Revenue per kept order.\n\n'
            '**average_order_value** (float) — `examples.data_quality.pipeline.average_order_value`'
        ),
    )
    def average_order_value(total_revenue, order_count):
        return pipeline.run('average_order_value')

    @task(
        task_id='revenue_by_region',
        doc_md=(
            'Revenue per region, largest first.\n\n'
            '**revenue_by_region** (Series) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_region(revenue_by_region_raw, revenue_by_region_max_share_validator):
        return pipeline.run('revenue_by_region')

    @task(
        task_id='revenue_by_customer',
        doc_md=(
            'Revenue per customer, largest first.\n\n'
            '**revenue_by_customer** (Series) — `examples.data_quality.pipeline.revenue_by`'
        ),
    )
    def revenue_by_customer(revenue_by_customer_raw, revenue_by_customer_max_share_validator):
        return pipeline.run('revenue_by_customer')

    raw_orders_out = raw_orders()
    orders_deduplicated_out = orders_deduplicated(raw_orders_out)
    orders_kept_out = orders_kept(orders_deduplicated_out)
    orders_tidied_out = orders_tidied(orders_kept_out)
    orders_priced_out = orders_priced(orders_tidied_out)
    orders_out = orders(orders_priced_out)
    quantity_raw_out = quantity_raw(orders_out)
    order_id_out = order_id(orders_out)
    customer_out = customer(orders_out)
    region_out = region(orders_out)
    unit_price_out = unit_price(orders_out)
    currency_out = currency(orders_out)
    quantity_range_validator_out = quantity_range_validator(quantity_raw_out)
    order_count_out = order_count(order_id_out)
    usd_rate_out = usd_rate(currency_out)
    quantity_out = quantity(quantity_raw_out, quantity_range_validator_out)
    amount_raw_out = amount_raw(quantity_out, unit_price_out, usd_rate_out)
    amount_data_type_validator_out = amount_data_type_validator(amount_raw_out)
    amount_allow_nans_validator_out = amount_allow_nans_validator(amount_raw_out)
    amount_out = amount(amount_raw_out, amount_data_type_validator_out, amount_allow_nans_validator_out)
    revenue_by_region_raw_out = revenue_by_region_raw(amount_out, region_out)
    revenue_by_customer_raw_out = revenue_by_customer_raw(amount_out, customer_out)
    total_revenue_out = total_revenue(amount_out)
    revenue_by_region_max_share_validator_out = revenue_by_region_max_share_validator(revenue_by_region_raw_out)
    revenue_by_customer_max_share_validator_out = revenue_by_customer_max_share_validator(revenue_by_customer_raw_out)
    average_order_value(total_revenue_out, order_count_out)
    revenue_by_region(revenue_by_region_raw_out, revenue_by_region_max_share_validator_out)
    revenue_by_customer(revenue_by_customer_raw_out, revenue_by_customer_max_share_validator_out)


data_quality_dag = data_quality()
