"""moto's server (`moto_server`'s arguments), its DynamoDB requests served one at a time.

moto 5.2.5 runs a TransactWriteItems that fails by restoring a copy of the whole table taken
when it began, undoing whatever other requests wrote meanwhile: with concurrent requests, a
cancelled transaction erases other callers' committed writes, which DynamoDB never does. One
lock around DynamoDB's requests gives the isolation DynamoDB has; the other services stay
concurrent. The Table conformance suite's concurrent cases found it.
"""

import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_DYNAMODB = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):
    with _DYNAMODB:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action

if __name__ == "__main__":
    main()
