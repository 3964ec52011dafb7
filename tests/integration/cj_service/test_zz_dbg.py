import asyncio, pytest
from contracts.huleedu.cj.v1 import cj_pb2
from tests.integration.cj_service.cj_fixtures import *  # noqa
pytestmark = pytest.mark.integration
async def test_dbg(start_cj):
    import time
    cj = await start_cj()
    t=time.time()
    a = (await cj.submit(100, stopping=cj_pb2.StoppingOptions(budget=1000, max_in_flight=1000, target_reliability=0.9999))).assessment
    print("submit", time.time()-t)
    for _ in range(20):
        await asyncio.sleep(1)
        print(len(cj.requests_of(a.assessment_id)), cj.provider.submissions, (await cj.get(a.assessment_id)).progress)
